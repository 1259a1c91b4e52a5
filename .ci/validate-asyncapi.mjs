// Validates AsyncAPI documents with the official parser (@asyncapi/parser):
// prints every diagnostic and exits 1 if any document has an error.
// Usage: node .ci/validate-asyncapi.mjs FILE...
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const parser = new Parser();
let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = await readFile(file, "utf8");
  const { document, diagnostics } = await parser.parse(text, { source: file });
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  for (const d of diagnostics) {
    const level = ["error", "warning", "info", "hint"][d.severity] ?? "note";
    const at = d.path && d.path.length ? d.path.join(".") : "(document)";
    console.log(`${file}: ${level}: ${at}: ${d.message}`);
  }
  if (errors.length > 0 || !document) {
    failed += 1;
    console.log(`${file}: FAILED (${errors.length} error(s))`);
  } else {
    console.log(`${file}: ok (${diagnostics.length} warning(s)/note(s))`);
  }
}
process.exit(failed > 0 ? 1 : 0);
