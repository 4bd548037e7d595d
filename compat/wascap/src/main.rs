//! wascap-compat: signs and verifies WebAssembly modules' claims with the
//! real wascap crate, as `wash claims` does, so wasmhive's tests can check
//! that each side accepts what the other writes.
//!
//! Subcommands (every result is one JSON object on stdout):
//!
//!   sign [--legacy] [--issuer-seed FILE] [--subject-seed FILE] [--name N]
//!        [--cap C]... [--tag T]... [--rev N] [--ver V]
//!        [--expires-at UNIX] [--not-before-at UNIX] [--expires-days N] IN OUT
//!       Signs IN into OUT with wascap 0.15 (`--legacy`: wascap 0.13, the
//!       last with capabilities, which `--cap` needs). Without a seed file a
//!       fresh key is made. Prints the issuer and subject public keys.
//!   verify [--legacy] FILE
//!       wascap's extract_claims (hash check) and validate_token (signature,
//!       expiry, not-before); exit status 0 when all pass, 1 otherwise.
//!   hash FILE
//!       The module hash wascap computes for FILE.
//!   pubkey SEEDFILE
//!       The public key and key type of an nkeys seed.

use std::collections::HashMap;
use std::process::ExitCode;

use serde_json::{json, Value};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("sign") => sign(&args[1..]),
        Some("verify") => verify(&args[1..]),
        Some("hash") => hash(&args[1..]),
        Some("pubkey") => pubkey(&args[1..]),
        _ => Err("usage: wascap-compat sign|verify|hash|pubkey ...".to_string()),
    };
    match result {
        Ok((out, ok)) => {
            println!("{out}");
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("wascap-compat: {e}");
            ExitCode::from(2)
        }
    }
}

/// Flags: repeated ones collect, `--legacy` is a switch; the rest are
/// positional.
struct Flags {
    values: HashMap<String, Vec<String>>,
    legacy: bool,
    positional: Vec<String>,
}

fn parse(args: &[String]) -> Result<Flags, String> {
    let mut f = Flags {
        values: HashMap::new(),
        legacy: false,
        positional: vec![],
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--legacy" {
            f.legacy = true;
        } else if let Some(name) = a.strip_prefix("--") {
            let v = it.next().ok_or(format!("--{name} needs a value"))?;
            f.values.entry(name.to_string()).or_default().push(v.clone());
        } else {
            f.positional.push(a.clone());
        }
    }
    Ok(f)
}

impl Flags {
    fn one(&self, name: &str) -> Option<String> {
        self.values.get(name).and_then(|v| v.last().cloned())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }
    fn num<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        self.one(name)
            .map(|v| v.parse::<T>().map_err(|_| format!("--{name} {v}: not a number")))
            .transpose()
    }
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{path}: {e}"))
}

fn read_seed(path: &str) -> Result<String, String> {
    Ok(String::from_utf8(read(path)?)
        .map_err(|_| format!("{path}: not text"))?
        .trim()
        .to_string())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(args: &[String]) -> Result<(Value, bool), String> {
    let f = parse(args)?;
    let [input, output] = f.positional.as_slice() else {
        return Err("sign: want IN OUT".into());
    };
    let buf = read(input)?;
    let name = f.one("name").unwrap_or_else(|| "compat".to_string());
    let tags = f.all("tag");
    let caps = f.all("cap");
    let rev: Option<i32> = f.num("rev")?;
    let ver = f.one("ver");
    let mut expires: Option<u64> = f.num("expires-at")?;
    if let Some(days) = f.num::<u64>("expires-days")? {
        expires = Some(now() + days * 86400);
    }
    let not_before: Option<u64> = f.num("not-before-at")?;
    let (signed, issuer, subject) = if f.legacy {
        use wascap013::prelude::KeyPair;
        let acct = match f.one("issuer-seed") {
            Some(p) => KeyPair::from_seed(&read_seed(&p)?).map_err(|e| e.to_string())?,
            None => KeyPair::new_account(),
        };
        let module = match f.one("subject-seed") {
            Some(p) => KeyPair::from_seed(&read_seed(&p)?).map_err(|e| e.to_string())?,
            None => KeyPair::new_module(),
        };
        let claims = wascap013::jwt::Claims::<wascap013::jwt::Actor>::with_dates(
            name,
            acct.public_key(),
            module.public_key(),
            Some(caps),
            Some(tags),
            not_before,
            expires,
            false,
            rev,
            ver,
            None,
        );
        let signed =
            wascap013::wasm::embed_claims(&buf, &claims, &acct).map_err(|e| e.to_string())?;
        (signed, acct.public_key(), module.public_key())
    } else {
        use wascap::prelude::KeyPair;
        if !caps.is_empty() {
            return Err("sign: --cap needs --legacy (wascap 0.14 and later have no capabilities)".into());
        }
        let acct = match f.one("issuer-seed") {
            Some(p) => KeyPair::from_seed(&read_seed(&p)?).map_err(|e| e.to_string())?,
            None => KeyPair::new_account(),
        };
        let module = match f.one("subject-seed") {
            Some(p) => KeyPair::from_seed(&read_seed(&p)?).map_err(|e| e.to_string())?,
            None => KeyPair::new_module(),
        };
        let claims = wascap::jwt::Claims::<wascap::jwt::Component>::with_dates(
            name,
            acct.public_key(),
            module.public_key(),
            Some(tags),
            not_before,
            expires,
            false,
            rev,
            ver,
            None,
        );
        let signed = wascap::wasm::embed_claims(&buf, &claims, &acct).map_err(|e| e.to_string())?;
        (signed, acct.public_key(), module.public_key())
    };
    std::fs::write(output, signed).map_err(|e| format!("{output}: {e}"))?;
    Ok((json!({"issuer": issuer, "subject": subject}), true))
}

fn verify(args: &[String]) -> Result<(Value, bool), String> {
    let f = parse(args)?;
    let [path] = f.positional.as_slice() else {
        return Err("verify: want FILE".into());
    };
    let buf = read(path)?;
    macro_rules! check {
        ($crate_:ident, $meta:ty, $caps:expr) => {{
            let token = match $crate_::wasm::extract_claims(&buf) {
                Ok(Some(t)) => t,
                Ok(None) => return Ok((json!({"ok": false, "error": "no claims"}), false)),
                Err(e) => return Ok((json!({"ok": false, "error": e.to_string()}), false)),
            };
            let v = match $crate_::jwt::validate_token::<$meta>(&token.jwt) {
                Ok(v) => v,
                Err(e) => return Ok((json!({"ok": false, "error": e.to_string()}), false)),
            };
            let c = &token.claims;
            let meta = c.metadata.as_ref().unwrap();
            let kind = |k: &str| {
                $crate_::prelude::KeyPair::from_public_key(k)
                    .map(|kp| format!("{:?}", kp.key_pair_type()))
                    .unwrap_or_default()
            };
            let ok = v.signature_valid && !v.expired && !v.cannot_use_yet;
            let caps: Option<Vec<String>> = $caps(meta);
            Ok((
                json!({
                    "ok": ok,
                    "signature_valid": v.signature_valid,
                    "expired": v.expired,
                    "cannot_use_yet": v.cannot_use_yet,
                    "issuer": c.issuer,
                    "issuer_type": kind(&c.issuer),
                    "subject": c.subject,
                    "subject_type": kind(&c.subject),
                    "name": meta.name,
                    "hash": meta.module_hash,
                    "tags": meta.tags,
                    "caps": caps,
                    "rev": meta.rev,
                    "ver": meta.ver,
                    "expires": c.expires,
                    "not_before": c.not_before,
                }),
                ok,
            ))
        }};
    }
    if f.legacy {
        check!(wascap013, wascap013::jwt::Actor, |m: &wascap013::jwt::Actor| m.caps.clone())
    } else {
        check!(wascap, wascap::jwt::Component, |_m: &wascap::jwt::Component| None)
    }
}

fn hash(args: &[String]) -> Result<(Value, bool), String> {
    let f = parse(args)?;
    let [path] = f.positional.as_slice() else {
        return Err("hash: want FILE".into());
    };
    let buf = read(path)?;
    // wascap's hash function is private: embed throwaway claims, whose
    // hash is the module's, and read it back.
    let acct = wascap::prelude::KeyPair::new_account();
    let claims = wascap::jwt::Claims::<wascap::jwt::Component>::with_dates(
        "hash".into(),
        acct.public_key(),
        wascap::prelude::KeyPair::new_module().public_key(),
        None,
        None,
        None,
        false,
        None,
        None,
        None,
    );
    let signed = wascap::wasm::embed_claims(&buf, &claims, &acct).map_err(|e| e.to_string())?;
    let token = wascap::wasm::extract_claims(&signed)
        .map_err(|e| e.to_string())?
        .ok_or("no claims after embedding")?;
    Ok((json!({"hash": token.claims.metadata.unwrap().module_hash}), true))
}

fn pubkey(args: &[String]) -> Result<(Value, bool), String> {
    let f = parse(args)?;
    let [path] = f.positional.as_slice() else {
        return Err("pubkey: want SEEDFILE".into());
    };
    let kp = wascap::prelude::KeyPair::from_seed(&read_seed(path)?).map_err(|e| e.to_string())?;
    Ok((
        json!({"public": kp.public_key(), "type": format!("{:?}", kp.key_pair_type())}),
        true,
    ))
}
