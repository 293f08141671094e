// Direct access to the addon's op runner for the op suite.
import { native, type OpBuffer } from '../../lib/native';

export const binding = () => native().binding;

/** Instruction sets this CPU can run; the op suite runs each against 'scalar'. */
export function availableIsas(): string[] {
  return binding().info().isaAvailable;
}

export function callOp(isa: string, op: string, buffers: Record<string, OpBuffer | null | undefined>, dims: Record<string, number>) {
  return binding().callOp(isa, op, buffers, dims);
}
