/*
 * my_trust.h: the switch of my_trust.c, which keeps Connector/C from loading
 * the system trust store into a connection whose tls mode does not verify.
 */
#ifndef DD_MY_TRUST_H
#define DD_MY_TRUST_H

#include <stdbool.h>

/*
 * On: until switched off, this thread's TLS connects skip the system trust
 * store (set it only around the connect of a prefer/require node without
 * tls_ca).
 */
void drv_my_trust_skip(bool on);

#endif
