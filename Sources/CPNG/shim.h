// Exposes libpng (1.6+) to Swift. Only the "simplified" png_image API is used from Swift: the classic API
// reports errors with setjmp/longjmp, which Swift cannot call safely.
#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H
#include <png.h>
#endif
