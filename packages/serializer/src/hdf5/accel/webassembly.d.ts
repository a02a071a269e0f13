// The parts of the WebAssembly JS API that blosc-host.ts, h5wasm-guard.ts (and tests) use, as Node provides
// them: TypeScript declares this API only in lib.dom, which a Node package should not pull in.
declare namespace WebAssembly {
  type Imports = Record<string, Record<string, unknown>>;
  interface ModuleImportDescriptor {
    module: string;
    name: string;
    kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
  }
  class Module {
    constructor(bytes: Uint8Array | ArrayBuffer);
    static imports(module: Module): ModuleImportDescriptor[];
    static exports(module: Module): { name: string; kind: string }[];
    static customSections(module: Module, sectionName: string): ArrayBuffer[];
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Table {
    constructor(descriptor: { initial: number; element: 'anyfunc' });
    get(index: number): unknown;
    set(index: number, value: unknown): void;
  }
  class Global {
    constructor(descriptor: { value: 'i32'; mutable?: boolean }, value?: number);
    value: number;
  }
  /** A trap: out-of-bounds access, unreachable code (Emscripten's abort() throws one too). */
  class RuntimeError extends Error {}
}
