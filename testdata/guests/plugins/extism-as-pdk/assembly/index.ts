// A test plugin built with Extism's official AssemblyScript PDK
// (@extism/as-pdk), to check that such plugins run on wasmhive unmodified.
// Rebuild with build.sh.
import { Var, Config, Host, LogLevel } from "@extism/as-pdk";

function myAbort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {}

// count_vowels: {"count": N, "total": T, "greeting": G} where T is the running
// total kept in a plugin variable and G the config value "greeting".
export function count_vowels(): i32 {
  const str = Host.inputString();
  let count = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charAt(i);
    if ("aeiouAEIOU".includes(c)) {
      count++;
    }
  }
  let total = count;
  const prev = Var.getString("total");
  if (prev != null) {
    total += I32.parseInt(prev);
  }
  Var.set("total", Uint8Array.wrap(String.UTF8.encode(total.toString())));
  const greeting = Config.get("greeting");
  Host.log(LogLevel.Info, "counted " + count.toString() + " vowels");
  Host.outputString('{"count": ' + count.toString() + ', "total": ' + total.toString() + ', "greeting": "' + (greeting == null ? "" : greeting) + '"}');
  return 0;
}

// echo: output = input (bytes)
export function echo(): i32 {
  Host.output(Host.input());
  return 0;
}
