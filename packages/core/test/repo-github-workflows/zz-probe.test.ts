import { it } from "vitest";
import { readWorkflow } from "../../src/repo/github-workflows/read-workflow.ts";
const show = (name: string, text: string) => {
  let r;
  try { r = readWorkflow(text, "w.yml"); } catch (e) { console.log(name, "THREW", String(e).slice(0, 200)); return; }
  console.log(name, JSON.stringify({ d: r.diagnostics, n: r.notWorkflow, t: r.workflow?.triggers, jobs: r.workflow?.jobs.map((j) => ({ id: j.id, logins: j.logins.map((l) => [l.kind, l.line, l.clientId?.raw]), env: j.environment })) }).slice(0, 700));
};
it("p", () => {
  show("block-deep", "on: push\njobs:\n" + Array.from({ length: 600 }, (_, i) => " ".repeat(i + 2) + `k${i}:`).join("\n") + "\n");
  show("flow-deep", "on: push\njobs: " + "[".repeat(5000) + "]".repeat(5000) + "\n");
  show("bomb", "on: push\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\njobs:\n  x:\n    steps: *h\n");
  show("on-number", "on: 1\njobs: {}\n");
  show("on-true", "true: push\njobs: {}\n");
  show("on-seq-map", "on: [push, {pull_request: {}}]\njobs: {}\n");
  show("on-map-seq-key", "on:\n  ? [push]\n  : {}\njobs: {}\n");
  show("on-null-values", "on:\n  push:\n  pull_request_target:\n    types: opened\njobs: {}\n");
  show("on-map-of-map-branches", "on:\n  push:\n    branches: {main: 1}\njobs: {}\n");
  show("nonstring-jobkeys", "on: push\njobs:\n  ? [a, b]\n  : {runs-on: x}\n  1: {runs-on: x}\n  null: {}\n");
  show("expr-span", "on: push\npermissions:\n  id-token: write\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          az login --service-principal -u ${{\n            secrets.CLIENT }} --tenant t --federated-token $T\n          echo next ${{ x\n");
  show("run-mb", "on: push\npermissions:\n  id-token: write\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n" + ("          az login --service-principal -u $ID --tenant t --federated-token \"$(cat f)\" && echo " + "x".repeat(200) + "\n").repeat(20000));
  show("run-mb-one-line", "on: push\njobs:\n  d:\n    steps:\n      - run: \"login " + "${{ a }}".repeat(400000) + "\"\n");
  show("unclosed-expr-mb", "on: push\njobs:\n  d:\n    steps:\n      - run: |\n" + "          login ${{ a \n".repeat(100000));
  show("env-on-map", "on: push\nenv: [a]\njobs:\n  d:\n    environment: {name: {x: 1}}\n    permissions: 7\n    steps: {a: 1}\n");
  show("dup-keys", "on: push\non: pull_request_target\njobs:\n  d:\n    runs-on: x\n");
});
