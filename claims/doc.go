// Package claims signs and verifies the claims a WebAssembly module carries
// about itself, compatible with wasmCloud's wascap (what `wash claims sign`
// embeds): an Ed25519-signed JWT in a custom section (wasmcloud_jwt; older
// modules jwt) whose issuer is an account nkey (A...), whose subject is the
// module's own nkey (M...), with issued-at, not-before and expiry times, and
// a "wascap" object holding the module's name, hash, tags, capabilities,
// revision and version. The same holds for Component Model binaries: their
// claims are a top-level custom section too. docs/claims.md describes the
// format and the CLI.
//
// What verified claims prove: the holder of the issuer's seed signed these
// claims about a module whose bytes, outside the claims section, are these
// (the module hash is the SHA-256 of the module without its claims
// sections), within the validity times. Verify checks every part.
//
// What they do not prove: that the module is safe or does what its name
// says; that the issuer is who you think it is (trust comes only from the
// keys you list as trusted issuers: any account key verifies its own
// signatures); that the capabilities it asks for are ones it needs (they
// bound what the operator may grant, they grant nothing); that the issuer's
// seed was not stolen, or that claims were not revoked (there is no
// revocation: expiry is the only limit in time). Nor do they cover the
// encoding of section sizes (wascap hashes the sections re-encoded), so two
// binaries that differ only in padded LEB128 sizes have one hash.
//
// Sign, Extract and Verify are the entry points; Hash is the module hash;
// CapabilityOf maps claimed capability names to wasmhive's capabilities.
package claims
