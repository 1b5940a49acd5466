// librdkafka's C API for Swift (Debian's librdkafka-dev). Only the Workload target imports this.
// The header is imported as is: every function Workload calls is a plain (non-variadic) C function.
#ifndef KGTOP_CRDKAFKA_SHIM_H
#define KGTOP_CRDKAFKA_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#endif
