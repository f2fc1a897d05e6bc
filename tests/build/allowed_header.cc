// Must compile: the queue's own headers and base's, which it links.
#include "base/result.h"
#include "queue/queue.h"
