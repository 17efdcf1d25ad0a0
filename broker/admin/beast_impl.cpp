// The one translation unit that compiles Boost.Beast (separate compilation,
// like broker/net/asio_impl.cpp for Asio). If the transport layer compiles
// Beast too, exactly one of the two files must stay.
#include <boost/beast/src.hpp>
