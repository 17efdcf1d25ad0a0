// The one translation unit that compiles Boost.Asio (separate compilation
// keeps every other file's build fast).
#include <boost/asio/impl/src.hpp>
