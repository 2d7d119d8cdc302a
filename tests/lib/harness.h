/* harness.h: placeholder until the harness client lands. */
#ifndef DD_TEST_HARNESS_H
#define DD_TEST_HARNESS_H
#endif
