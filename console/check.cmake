# Fails the console build with the fix when its npm packages are missing.
if(NOT EXISTS ${DIR}/node_modules/esbuild OR NOT EXISTS ${DIR}/node_modules/typescript)
  message(FATAL_ERROR "console/node_modules is missing: run tools/setup (it runs npm ci in console/)")
endif()
