// Exposes giflib (5.1+) to Swift, for the animated sampling GIFs. Encoding and decoding go through memory
// callbacks (EGifOpen / DGifOpen), so no file is half-written.
#ifndef CGIF_SHIM_H
#define CGIF_SHIM_H
#include <gif_lib.h>
#endif
