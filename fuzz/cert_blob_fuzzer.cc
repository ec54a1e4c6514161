// Certificate blobs (and any key blob): parse with and without the
// signature check; a certificate that parses must describe itself, verify
// the same way twice, and round-trip through its text form.
#include <cstdlib>

#include "formats/cert_time.h"
#include "formats/certificate.h"
#include "formats/fingerprint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kw::formats;
  kw::ByteSpan blob(data, size);
  auto any = KeyOrCert::FromBlob(blob);
  auto loose = Certificate::ParseUnverified(blob);
  if (any.ok() && any->is_cert()) {
    // What verifies strictly also parses loosely, to the same fields.
    if (!loose.ok() || !(loose->fields() == any->cert().fields())) std::abort();
    auto line = ParseKeyOrCertText(FormatKeyOrCert(*any, "c"));
    if (!line.ok() || !(line->key == *any)) std::abort();
  }
  if (loose.ok()) {
    std::string fatal;
    (void)DescribeCertificate(*loose, kw::crypto::HashAlg::kSha256, UtcZone(), &fatal);
    CertVerifyRequest req;
    if (loose->signature_key()) req.trusted_cas = std::span<const PublicKey>(&*loose->signature_key(), 1);
    req.principal = "root";
    req.client_address = "192.0.2.1";
    req.now = 1700000000;
    CertVerdict a = VerifyCertificate(*loose, req);
    CertVerdict b = VerifyCertificate(*loose, req);
    if (a.failure != b.failure) std::abort();
    // A certificate whose signature does not verify never passes.
    if (a.ok() && !(any.ok() && any->is_cert())) std::abort();
  }
  return 0;
}
