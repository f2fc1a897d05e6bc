// Must NOT compile: an ignored Status (see CMakeLists.txt).
#include "base/result.h"

hm::Status might_fail();

void caller() { might_fail(); }
