// Exposes zlib to Swift (used to gunzip the MNIST IDX files).
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>
#endif
