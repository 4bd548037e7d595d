// The export of the adder world (wit/add.wit): the trivial call of the
// cold-compile benchmark.
export function add(a, b) {
  return (a + b) | 0;
}
