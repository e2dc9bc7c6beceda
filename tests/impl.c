/* The one translation unit that compiles the implementation for the test programs; the
   suites include the header for declarations only, as a user's other files would. */
#define DDBSTREAM_IMPLEMENTATION
#include "../ddbstream.h"
