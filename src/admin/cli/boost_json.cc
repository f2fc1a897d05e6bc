// Boost.JSON's implementation, compiled once for the whole program (Debian
// ships it header-only in this form).
#include <boost/json/src.hpp>
