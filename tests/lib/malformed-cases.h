#ifndef MALFORMED_CASES_H
#define MALFORMED_CASES_H

#include "test-util.h"

/* an INET address block: 127.0.0.1:12345 -> 10.0.0.2:143 */
#define ADDRS "7f000001 0a000002 3039 008f"
#define SIG TEST_V2_SIGNATURE

struct malformed_case {
	const char *name;
	/* exactly one of: a v1 line; a v2 header from version/family and
	   body with the length computed; raw hex with a lying length */
	const char *v1;
	const char *ver_fam, *body;
	const char *raw;
	const char *reason;
};

extern const struct malformed_case malformed_cases[];
extern const unsigned int malformed_cases_count;

/* The bytes of a case; a lying v2 length is padded up to the cap so
   that the header can never complete */
GByteArray *malformed_case_bytes(const struct malformed_case *c);

#endif
