/**
 * The tree that ClickHouse prints for `EXPLAIN AST`: one line per node, indented one space per
 * level, `Type rest (children N)`. Names are printed as they are, so a quoted name holding a line
 * break spills onto lines of its own; the declared number of children is checked against the
 * lines that follow, so such a spill makes the tree fail to read rather than move a real node.
 */

export interface AstNode {
  /** `SelectQuery`, `Function`, `TableIdentifier`, `Identifier`, `Literal`, … */
  type: string;
  /** The first word after the type: a function's or table's name, a literal's value. */
  name: string;
  children: AstNode[];
}

export class UnreadableAst extends Error {}

const CHILDREN = / \(children (\d+)\)$/;
const LINE = /^( *)([A-Za-z]+)(?: (.*))?$/;

/** The root of the tree printed as `lines`; throws UnreadableAst when the lines are not one well-formed tree. */
export function readAst(lines: string[]): AstNode {
  const stack: Array<{ node: AstNode; depth: number; declared: number }> = [];
  let root: AstNode | undefined;
  const close = (depth: number) => {
    while (stack.length > 0 && stack[stack.length - 1].depth >= depth) {
      const done = stack.pop()!;
      if (done.node.children.length !== done.declared) throw new UnreadableAst(`${done.node.type} ${done.node.name} declares ${done.declared} children`);
    }
  };
  for (const line of lines) {
    const declared = CHILDREN.exec(line)?.[1] ?? '0';
    const match = LINE.exec(line.replace(CHILDREN, ''));
    if (!match) throw new UnreadableAst(`unexpected line: ${line.slice(0, 80)}`);
    const [, indent, type, rest = ''] = match;
    const depth = indent.length;
    close(depth);
    const node: AstNode = { type, name: rest.split(' ')[0], children: [] };
    if (stack.length === 0) {
      if (root || depth !== 0) throw new UnreadableAst('more than one root');
      root = node;
    } else {
      if (depth !== stack[stack.length - 1].depth + 1) throw new UnreadableAst(`a line skips a level: ${line.slice(0, 80)}`);
      stack[stack.length - 1].node.children.push(node);
    }
    stack.push({ node, depth, declared: Number(declared) });
  }
  close(0);
  if (!root) throw new UnreadableAst('no tree');
  return root;
}
