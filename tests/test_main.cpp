// The doctest entry point for the core suite (native and WebAssembly).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
