#!/usr/bin/env node
// Deterministic offline build of contracts/src/**/*.sol with the npm `solc` package (solcjs).
//
// Writes contracts/build/<ContractName>.json = {contractName, abi, bytecode, deployedBytecode}
// for every non-abstract contract defined under src/ (interfaces, libraries and abstract
// contracts are skipped), and removes build files that no longer correspond to a source.
// Running it twice gives byte-identical output.
//
//   node scripts/build.js          compile and write build/
//   node scripts/build.js --check  compile, write nothing, exit 1 if build/ is not up to date
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const ROOT = path.resolve(__dirname, "..");
const SRC = path.join(ROOT, "src");
const BUILD = path.join(ROOT, "build");
const NODE_MODULES = path.join(ROOT, "node_modules");

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  viaIR: false,
  metadata: { bytecodeHash: "none", appendCBOR: false },
  outputSelection: {
    "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
  },
};

function listSources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(full));
    else if (entry.name.endsWith(".sol")) out.push(full);
  }
  return out;
}

function findImports(importPath) {
  const candidates = [];
  if (importPath.startsWith("@")) candidates.push(path.join(NODE_MODULES, importPath));
  candidates.push(path.join(ROOT, importPath));
  for (const candidate of candidates) {
    const resolved = path.resolve(candidate);
    if ((resolved.startsWith(NODE_MODULES + path.sep) || resolved.startsWith(SRC + path.sep)) && fs.existsSync(resolved)) {
      return { contents: fs.readFileSync(resolved, "utf8") };
    }
  }
  return { error: `File not found: ${importPath}` };
}

function main() {
  const check = process.argv.includes("--check");
  const stale = [];
  const started = Date.now();
  const files = listSources(SRC);
  const sources = {};
  for (const file of files) {
    const key = path.relative(ROOT, file).split(path.sep).join("/");
    sources[key] = { content: fs.readFileSync(file, "utf8") };
  }
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const diag of output.errors || []) {
    if (diag.severity !== "error" && !/SPDX|Unnamed return/.test(diag.message)) {
      process.stderr.write(diag.formattedMessage + "\n");
    }
  }
  if (errors.length) {
    for (const e of errors) process.stderr.write(e.formattedMessage + "\n");
    process.exit(1);
  }

  if (!check) fs.mkdirSync(BUILD, { recursive: true });
  const written = new Set();
  for (const sourceKey of Object.keys(sources).sort()) {
    const contracts = output.contracts[sourceKey] || {};
    for (const name of Object.keys(contracts).sort()) {
      const c = contracts[name];
      const bytecode = c.evm.bytecode.object;
      if (!bytecode) continue; // interface, library without code, or abstract contract
      if (written.has(name)) {
        process.stderr.write(`duplicate contract name ${name} in ${sourceKey}\n`);
        process.exit(1);
      }
      const artifact = {
        contractName: name,
        abi: c.abi,
        bytecode: "0x" + bytecode,
        deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      };
      const text = JSON.stringify(artifact, null, 2) + "\n";
      const target = path.join(BUILD, `${name}.json`);
      if (!fs.existsSync(target) || fs.readFileSync(target, "utf8") !== text) {
        stale.push(`${name}.json`);
        if (!check) fs.writeFileSync(target, text);
      }
      written.add(name);
    }
  }
  for (const file of fs.existsSync(BUILD) ? fs.readdirSync(BUILD) : []) {
    if (file.endsWith(".json") && !written.has(file.slice(0, -5))) {
      stale.push(file);
      if (!check) fs.unlinkSync(path.join(BUILD, file));
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (check && stale.length) {
    process.stderr.write(`contracts/build is out of date (${stale.join(", ")}): run node scripts/build.js\n`);
    process.exit(1);
  }
  process.stdout.write(`solc ${solc.version()}: ${written.size} artifacts ${check ? "up to date" : "in build/"} (${seconds}s)\n`);
}

main();
