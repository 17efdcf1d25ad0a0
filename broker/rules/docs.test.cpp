// docs/rules-functions.md is generated from the function table: this test
// fails when they differ, and rewrites the file when asked to:
//   IOTB_REGENERATE_DOCS=1 build/tests/iotb_unit --gtest_filter='RulesDocs.*'

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "broker/rules/program.hpp"

#ifndef IOTB_SOURCE_DIR
#error "tests/CMakeLists.txt defines IOTB_SOURCE_DIR"
#endif

TEST(RulesDocs, FunctionReferenceIsGeneratedFromTheTable) {
  const std::string path = std::string(IOTB_SOURCE_DIR) + "/docs/rules-functions.md";
  const std::string want = iotb::rules::functions_markdown();
  if (const char* regen = std::getenv("IOTB_REGENERATE_DOCS"); regen && *regen == '1') {
    std::ofstream(path, std::ios::binary) << want;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream have;
  have << in.rdbuf();
  EXPECT_EQ(have.str(), want)
      << path << " differs from the function table. Regenerate it with\n"
      << "  IOTB_REGENERATE_DOCS=1 build/tests/iotb_unit --gtest_filter='RulesDocs.*'";
}
