# ddbstream: `make` builds the CLI, `make run` shows it on a sample, `make test` checks all.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wconversion
SAN      = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
B        = build
SAMPLE   = tests/data/aws-aws-lambda-go/dynamodb-event.json
TESTS    = test_parser test_split test_jsonsuite test_csv test_chunker test_forms
COMPILERS = gcc clang

# S3 upload needs libcurl (its headers to build; the CLI loads the library only for --s3);
# without it the CLI is built without --s3.
CURL_LIBS := $(shell curl-config --libs 2>/dev/null)
ifneq ($(CURL_LIBS),)
S3_SRC  = examples/s3_put.c
S3_DEF  = -DDDBS_WITH_S3 -DS3_CURL_DLOPEN
S3_LIBS = -ldl
endif

.PHONY: all run test unit cxx configs readme diff cli csv dates forms portable freestanding cross s3 replicate lambda lambda-zip bench bench-peers clean
all: $(B)/ddbstream
ifneq ($(CURL_LIBS),)
all: $(B)/replicate
endif

CLI_SRC = examples/ddbstream.c examples/cli.c $(S3_SRC)
CLI_DEP = $(CLI_SRC) examples/cli.h ddbstream.h $(wildcard examples/s3_put.h)

$(B)/ddbstream: $(CLI_DEP)
	@mkdir -p $(B)
	$(CC) $(WARN) $(CFLAGS) $(S3_DEF) -pthread -o $@ $(CLI_SRC) $(S3_LIBS)

run: $(B)/ddbstream
	$(B)/ddbstream $(SAMPLE)

# Criterion suites, built by both compilers with sanitizers on.
define suite
$(B)/$(1)/$(2): tests/$(2).c tests/impl.c ddbstream.h $(wildcard tests/*.h)
	@mkdir -p $(B)/$(1)
	$(1) $(WARN) $(SAN) -I. -o $$@ tests/$(2).c tests/impl.c -lcriterion
endef
$(foreach c,$(COMPILERS),$(foreach t,$(TESTS),$(eval $(call suite,$(c),$(t)))))

$(B)/jsonsuite/MANIFEST: tests/jsonsuite/extract.mjs tests/oracle/node_modules
	node tests/jsonsuite/extract.mjs $(B)/jsonsuite

tests/oracle/node_modules: tests/oracle/package.json tests/oracle/package-lock.json
	cd tests/oracle && npm ci --no-audit --no-fund
	@touch $@

unit: $(foreach c,$(COMPILERS),$(foreach t,$(TESTS),$(B)/$(c)/$(t))) $(B)/jsonsuite/MANIFEST
	@for c in $(COMPILERS); do for t in $(TESTS); do \
	  echo "== $$c $$t"; DDBS_JSONSUITE_DIR=$(B)/jsonsuite $(B)/$$c/$$t || exit 1; done; done

# The header as C++, and the build configurations it promises.
cxx:
	@mkdir -p $(B)
	printf '#define DDBSTREAM_IMPLEMENTATION\n#include "ddbstream.h"\n' > $(B)/impl.cpp
	g++ -std=c++11 -Wall -Wextra -Werror -Wshadow -Wconversion -I. -c $(B)/impl.cpp -o $(B)/impl_gxx.o
	clang++ -std=c++11 -Wall -Wextra -Werror -Wshadow -Wconversion -I. -c $(B)/impl.cpp -o $(B)/impl_clangxx.o

configs:
	@mkdir -p $(B)
	printf '#define DDBS_STATIC\n#define DDBSTREAM_IMPLEMENTATION\n#include "ddbstream.h"\nint main(void){return ddbs_strerror(DDBS_OK)[0]==0;}\n' > $(B)/static.c
	$(CC) $(WARN) -Wno-unused-function -I. $(B)/static.c -o $(B)/static && $(B)/static
	printf '#include "ddbstream.h"\nconst char *other(void);\nconst char *other(void){return ddbs_strerror(DDBS_E_SYNTAX);}\n' > $(B)/two.c
	printf '#include <string.h>\n#include "ddbstream.h"\nconst char *other(void);\nint main(void){return strcmp(other(),"malformed JSON")!=0;}\n' > $(B)/main2.c
	$(CC) $(WARN) -I. $(B)/two.c $(B)/main2.c tests/impl.c -o $(B)/two && $(B)/two
	$(CC) $(WARN) -DDDBS_MAX_DEPTH=4 -DDDBS_NO_SIMD -I. -c tests/impl.c -o $(B)/depth4.o

# The library example from README.md, compiled and compared with the CLI.
readme: $(B)/ddbstream
	$(CC) $(WARN) $(SAN) -I. tests/readme_example.c -o $(B)/readme_example
	$(B)/readme_example < $(SAMPLE) > $(B)/readme.out
	$(B)/ddbstream $(SAMPLE) | cmp - $(B)/readme.out
	@echo "readme example: same output as the CLI"

# Differential test against @aws-sdk/util-dynamodb, on the CLI built with sanitizers.
$(B)/ddbstream-san: $(CLI_DEP)
	@mkdir -p $(B)
	$(CC) $(WARN) $(SAN) $(S3_DEF) -pthread -o $@ $(CLI_SRC) $(S3_LIBS)

diff: $(B)/ddbstream-san tests/oracle/node_modules
	bash tests/oracle/diff.sh $(B)/ddbstream-san

# The --jobs threads also run under ThreadSanitizer (clang), without S3.
$(B)/ddbstream-tsan: $(CLI_DEP)
	@mkdir -p $(B)
	clang $(WARN) -O1 -g -fsanitize=thread -pthread -o $@ examples/ddbstream.c examples/cli.c

cli: $(B)/ddbstream $(B)/ddbstream-san $(B)/ddbstream-tsan
	bash tests/cli.sh $(B)/ddbstream-san $(B)/ddbstream $(B)/ddbstream-tsan

tests/s3/node_modules: tests/s3/package.json tests/s3/package-lock.json
	cd tests/s3 && npm ci --no-audit --no-fund
	@touch $@

# S3 upload against a local s3rver (SigV4 checked), with both compilers under sanitizers.
s3: tests/s3/node_modules tests/oracle/node_modules $(B)/ddbstream-san
	@for c in $(COMPILERS); do CC=$$c CFLAGS="$(SAN)" bash tests/s3/run.sh || exit 1; done
	bash tests/s3/pipeline.sh $(B)/ddbstream-san

csv: $(B)/ddbstream-san
	python3 tests/csv_check.py $(B)/ddbstream-san

dates:
	CC=$(CC) bash tests/dates.sh

forms: $(B)/ddbstream-san tests/oracle/node_modules
	bash tests/oracle/forms.sh $(B)/ddbstream-san

$(B)/replicate: examples/replicate.c
	@mkdir -p $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ examples/replicate.c $(CURL_LIBS)

tests/replicate/node_modules: tests/replicate/package.json tests/replicate/package-lock.json
	cd tests/replicate && npm ci --no-audit --no-fund
	@touch $@

# replicate against dynalite behind a SigV4-checking, fault-injecting proxy
replicate: tests/replicate/node_modules
	@for c in $(COMPILERS); do CC=$$c CFLAGS="$(SAN)" bash tests/replicate/run.sh || exit 1; done

LAMBDA_SRC = examples/lambda_bootstrap.c examples/cli.c examples/s3_put.c
$(B)/lambda_bootstrap: $(LAMBDA_SRC) examples/cli.h examples/s3_put.h ddbstream.h
	@mkdir -p $(B)
	$(CC) $(WARN) $(SAN) -DDDBS_WITH_S3 -pthread -o $@ $(LAMBDA_SRC) -lcurl

# The Lambda runtime against a local Runtime API stand-in, and s3rver for --s3.
lambda: $(B)/lambda_bootstrap $(B)/ddbstream tests/s3/node_modules
	bash tests/lambda/run.sh $(B)/lambda_bootstrap $(B)/ddbstream

# Deployment zip: bootstrap at the root, shared libraries in lib/ (build on Amazon Linux 2023).
lambda-zip:
	@mkdir -p $(B)/lambda-pkg/lib
	$(CC) -std=c99 -O2 -DDDBS_WITH_S3 -pthread -o $(B)/lambda-pkg/bootstrap $(LAMBDA_SRC) -lcurl
	ldd $(B)/lambda-pkg/bootstrap | awk '$$3 ~ /^\// {print $$3}' | \
	  grep -Ev '/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux[^/]*)\.so' | xargs -r cp -L -t $(B)/lambda-pkg/lib/
	cd $(B)/lambda-pkg && rm -f ../ddbstream-lambda.zip && zip -qr ../ddbstream-lambda.zip bootstrap lib

test: cxx configs unit readme diff cli csv dates forms portable freestanding cross fuzz-replay s3 replicate lambda
	@echo "make test: all passed"

# The plain-C runner natively: the SSE2 and portable scanners, and the -Os build without
# the fast paths (DDBS_SMALL), must give the same bytes.
portable:
	@mkdir -p $(B)/portable
	$(CC) $(WARN) -O2 -o $(B)/portable/runner tests/portable/runner.c
	$(CC) $(WARN) -O2 -DDDBS_NO_SIMD -o $(B)/portable/runner-nosimd tests/portable/runner.c
	$(CC) $(WARN) -Os -o $(B)/portable/runner-small tests/portable/runner.c
	$(B)/portable/runner -w $(B)/portable/golden.txt
	$(B)/portable/runner-nosimd -g $(B)/portable/golden.txt
	$(B)/portable/runner-small -g $(B)/portable/golden.txt

# Cortex-M4 freestanding object: undefined symbols, .text size, worst stack per call chain.
freestanding:
	B=$(B) bash tests/portable/freestanding.sh

# The runner on i686, powerpc and s390x under qemu-user, compared with the host's bytes.
cross:
	B=$(B) bash tests/portable/cross.sh

# ddbstream against simdjson, yajl, cJSON, node + util-dynamodb and jq (bench/peers/setup.sh
# installs them): ratios over alternating pairs, peak RSS.
bench-peers: $(B)/ddbstream
	python3 bench/peers/run.py

bench:
	@mkdir -p $(B)
	$(CC) -std=c99 -O2 -DBENCH_COUNT_ALLOCS -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free -I. bench/bench.c -o $(B)/bench
	$(B)/bench

include fuzz/Makefile.inc

clean:
	rm -rf $(B)
