// Bridges OpenBLAS's C interface into Swift (Linux). macOS uses Accelerate instead.
#include <cblas.h>
