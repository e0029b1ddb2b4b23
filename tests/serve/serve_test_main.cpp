// tests/serve/serve_test_main.cpp
// The runner of the relay's unit tests (confab_serve_tests, ctest name serve_unit).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
