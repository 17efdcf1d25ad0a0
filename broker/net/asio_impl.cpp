// The one translation unit that compiles Boost.Asio and Boost.Beast (separate compilation
// keeps every other file's build fast).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
