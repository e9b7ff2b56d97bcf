#include "QuillKernels.h"
