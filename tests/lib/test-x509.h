#ifndef TEST_X509_H
#define TEST_X509_H

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* The certificate, or the private key, in a PEM file; the test fails
   without one */
X509 *test_pem_cert(const char *path);
EVP_PKEY *test_pem_key(const char *path);
/* cert in DER */
GByteArray *test_cert_der(X509 *cert);
/* SHA-256 of the certificate in lower-case hex */
char *test_cert_sha256(X509 *cert);
/* What a memory BIO holds, as a string; frees bio */
char *test_bio_take(BIO *bio);
/* size bytes in hex, upper or lower case, without separators */
char *test_hex_encode(const void *data, gsize size, gboolean upper);

#endif
