// Must NOT compile for a library that does not link the directory: the queue
// (see CMakeLists.txt).
#include "directory/directory.h"
#include "queue/queue.h"
