/* Certificates for the tests: PEM files (the integration tests' certs/,
   make-certs.sh's output), DER, hex. */

#include <openssl/pem.h>

#include "test-x509.h"

/* The PEM file's contents in a memory BIO */
static BIO *pem_file_bio(const char *path, char **pem_r)
{
	GError *error = NULL;

	if (!g_file_get_contents(path, pem_r, NULL, &error))
		g_error("%s", error->message);
	return BIO_new_mem_buf(*pem_r, -1);
}

X509 *test_pem_cert(const char *path)
{
	char *pem;
	BIO *bio = pem_file_bio(path, &pem);
	X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);

	if (cert == NULL)
		g_error("%s: no PEM certificate", path);
	BIO_free(bio);
	g_free(pem);
	return cert;
}

EVP_PKEY *test_pem_key(const char *path)
{
	char *pem;
	BIO *bio = pem_file_bio(path, &pem);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	if (key == NULL)
		g_error("%s: no PEM private key", path);
	BIO_free(bio);
	g_free(pem);
	return key;
}

GByteArray *test_cert_der(X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	GByteArray *bytes;

	g_assert_cmpint(len, >, 0);
	bytes = g_byte_array_sized_new((guint)len);
	g_byte_array_append(bytes, der, (guint)len);
	OPENSSL_free(der);
	return bytes;
}

char *test_cert_sha256(X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len;

	g_assert_cmpint(X509_digest(cert, EVP_sha256(), md, &md_len), ==, 1);
	return test_hex_encode(md, md_len, FALSE);
}

char *test_bio_take(BIO *bio)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	char *str = g_strndup(data, (gsize)len);

	BIO_free(bio);
	return str;
}

char *test_hex_encode(const void *data, gsize size, gboolean upper)
{
	const guint8 *bytes = data;
	GString *str = g_string_sized_new(size * 2);

	for (gsize i = 0; i < size; i++)
		g_string_append_printf(str, upper ? "%02X" : "%02x", bytes[i]);
	return g_string_free(str, FALSE);
}
