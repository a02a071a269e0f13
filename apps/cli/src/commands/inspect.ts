import { resolve } from 'node:path';
import type { CliContext } from '../cli-context.ts';
import { InputFileError } from '../cli-errors.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { detectFileKind } from '../file-kind.ts';
import { formatBytes } from '../human-units.ts';
import { type BinCrateInfo, inspectBinCrate } from '../inspect-bin.ts';
import type { H5CrateInfo, H5ObjectInfo } from '../inspect-h5.ts';
import { shown, toSafeJson } from '../output-safety.ts';
import { flagOption, type OptionValues } from '../parse-command-line.ts';
import type { Style } from '../terminal-style.ts';
import { renderTable } from '../text-table.ts';

/**
 * hpc inspect <file.bin|file.h5> [--json]: what a crate stores, from metadata only. Everything
 * shown comes from the file (paths, class ids, attributes), so each piece is escaped.
 */
export async function runInspect(
  values: OptionValues,
  positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const file = positionals[0] as string;
  const path = resolve(ctx.cwd, file);
  const { kind, size } = await detectFileKind(path);
  if (kind === 'other') {
    throw new InputFileError(
      `${file} is neither an @hpc binary crate nor an HDF5 file (its first bytes match neither format)`,
      file,
    );
  }
  const info =
    kind === 'hdf5'
      ? await (await import('../inspect-h5.ts')).inspectH5Crate(path, size)
      : await inspectBinCrate(path, size);
  if (flagOption(values, 'json')) {
    ctx.stdout.write(`${toSafeJson(info)}\n`);
    return EXIT_CODES.ok;
  }
  const lines = info.format === 'hdf5' ? renderH5(info, ctx.stdout.style) : renderBin(info, ctx.stdout.style);
  ctx.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_CODES.ok;
}

function renderBin(info: BinCrateInfo, style: Style): string[] {
  const lines = [
    `${style.bold(shown(info.file))}  ${style.dim(`@hpc binary crate · ${formatBytes(info.sizeBytes)}${info.createdAt ? ` · created ${shown(info.createdAt)}` : ''}`)}`,
    `root:   ${info.rootType ? style.cyan(shown(info.rootType)) : style.dim('(plain value)')}`,
    `types:  ${info.types.length ? info.types.map(shown).join(', ') : style.dim('(none)')}`,
  ];
  if (info.arrays.length === 0) {
    lines.push(`arrays: ${style.dim('none stored out of line (small arrays live inside the structure)')}`);
    return lines;
  }
  lines.push('arrays stored out of line:');
  const rows = info.arrays.map((array) => [
    { text: `#${array.index}` },
    { text: array.dtype },
    { text: `[${array.shape.join(', ')}]` },
    { text: formatBytes(array.bytes) },
    { text: array.codec },
    { text: String(array.offset) },
  ]);
  const table = renderTable(
    [
      { header: '' },
      { header: 'DTYPE' },
      { header: 'SHAPE', align: 'right' },
      { header: 'SIZE', align: 'right' },
      { header: 'CODEC' },
      { header: 'OFFSET', align: 'right' },
    ],
    rows,
    { headerPaint: style.bold },
  );
  lines.push(...table.map((line) => `  ${line}`));
  return lines;
}

function renderH5(info: H5CrateInfo, style: Style): string[] {
  const lines = [
    `${style.bold(shown(info.file))}  ${style.dim(`HDF5 · ${formatBytes(info.sizeBytes)} · ${info.objects.length} stored object${info.objects.length === 1 ? '' : 's'}`)}`,
  ];
  if (info.objects.length === 0) {
    lines.push(style.dim('(no @hpc objects: the file holds no group with an hpc_format_version attribute)'));
    return lines;
  }
  const tree = buildTree(info.objects);
  renderNode(tree, '', lines, style);
  return lines;
}

interface TreeNode {
  name: string;
  object?: H5ObjectInfo;
  children: Map<string, TreeNode>;
}

function buildTree(objects: readonly H5ObjectInfo[]): TreeNode {
  const root: TreeNode = { name: '/', children: new Map() };
  for (const object of objects) {
    let node = root;
    for (const part of object.path.split('/').filter(Boolean)) {
      let child = node.children.get(part);
      if (!child) {
        child = { name: part, children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
    node.object = object;
  }
  return root;
}

function renderNode(node: TreeNode, prefix: string, lines: string[], style: Style): void {
  const children = [...node.children.values()];
  children.forEach((child, index) => {
    const last = index === children.length - 1;
    const branch = last ? '└─ ' : '├─ ';
    const inner = prefix + (last ? '   ' : '│  ');
    if (!child.object) {
      lines.push(`${prefix}${branch}${shown(child.name)}/`);
    } else {
      const object = child.object;
      lines.push(
        `${prefix}${branch}${style.bold(shown(child.name))}  ${object.rootType ? style.cyan(shown(object.rootType)) : style.dim('(plain value)')}`,
      );
      const detail: string[] = [];
      if (object.types.length) detail.push(`types: ${object.types.map(shown).join(', ')}`);
      if (object.codec) detail.push(`codec: ${shown(object.codec)}`);
      detail.push(`format v${shown(String(object.formatVersion))}`);
      if (object.createdAt) detail.push(`created ${shown(object.createdAt)}`);
      lines.push(`${inner}${style.dim(detail.join(' · '))}`);
      for (const array of object.arrays ?? []) {
        const size = array.bytes !== undefined ? formatBytes(array.bytes) : '';
        const stored = array.storedBytes !== undefined ? ` → ${formatBytes(array.storedBytes)} stored` : '';
        const chunks = array.chunks ? ` chunks [${array.chunks.join(', ')}]` : '';
        lines.push(
          `${inner}  ${shown(array.name)}  ${shown(array.dtype)} [${array.shape.join(', ')}]  ${size}${stored}  ${shown(array.codec ?? 'none')}${chunks}`,
        );
      }
    }
    renderNode(child, inner, lines, style);
  });
}
