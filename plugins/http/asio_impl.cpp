// The compiled parts of Asio, Asio's TLS layer and Beast for this plugin
// (the project builds them with BOOST_ASIO_SEPARATE_COMPILATION; the
// broker's copy in broker/net/asio_impl.cpp is not linked into plugins, and
// with hidden visibility neither copy binds to the other).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
