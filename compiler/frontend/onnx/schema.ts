// The subset of the ONNX protobuf schema kestrel reads, written as a protobufjs JSON descriptor.
// Field numbers follow the ONNX specification (onnx.proto, IR version 10+); names follow protobufjs'
// camelCase convention. FunctionProto and TrainingInfoProto are left out: protobufjs skips their
// fields as unknown. Guarantees: `onnxRoot` is resolved once and frozen in use (never mutated).

import protobuf from 'protobufjs';

const rep = (type: string, id: number) => ({ rule: 'repeated', type, id });
const packed = (type: string, id: number) => ({ rule: 'repeated', type, id, options: { packed: true } });
const one = (type: string, id: number) => ({ type, id });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: one('int64', 1), opsetImport: rep('OperatorSetIdProto', 8),
            producerName: one('string', 2), producerVersion: one('string', 3), domain: one('string', 4),
            modelVersion: one('int64', 5), docString: one('string', 6), graph: one('GraphProto', 7),
            metadataProps: rep('StringStringEntryProto', 14),
          },
        },
        OperatorSetIdProto: { fields: { domain: one('string', 1), version: one('int64', 2) } },
        StringStringEntryProto: { fields: { key: one('string', 1), value: one('string', 2) } },
        GraphProto: {
          fields: {
            node: rep('NodeProto', 1), name: one('string', 2), initializer: rep('TensorProto', 5),
            sparseInitializer: rep('SparseTensorProto', 15), docString: one('string', 10),
            input: rep('ValueInfoProto', 11), output: rep('ValueInfoProto', 12),
            valueInfo: rep('ValueInfoProto', 13), metadataProps: rep('StringStringEntryProto', 16),
          },
        },
        NodeProto: {
          fields: {
            input: rep('string', 1), output: rep('string', 2), name: one('string', 3),
            opType: one('string', 4), domain: one('string', 7), overload: one('string', 8),
            attribute: rep('AttributeProto', 5), docString: one('string', 6),
            metadataProps: rep('StringStringEntryProto', 9),
          },
        },
        AttributeProto: {
          fields: {
            name: one('string', 1), refAttrName: one('string', 21), docString: one('string', 13),
            type: one('int32', 20), f: one('float', 2), i: one('int64', 3), s: one('bytes', 4),
            t: one('TensorProto', 5), g: one('GraphProto', 6), sparseTensor: one('SparseTensorProto', 22),
            tp: one('TypeProto', 14), floats: packed('float', 7), ints: packed('int64', 8),
            strings: rep('bytes', 9), tensors: rep('TensorProto', 10), graphs: rep('GraphProto', 11),
            sparseTensors: rep('SparseTensorProto', 23), typeProtos: rep('TypeProto', 15),
          },
        },
        ValueInfoProto: {
          fields: {
            name: one('string', 1), type: one('TypeProto', 2), docString: one('string', 3),
            metadataProps: rep('StringStringEntryProto', 4),
          },
        },
        TypeProto: {
          fields: {
            tensorType: one('TypeProto.Tensor', 1), sequenceType: one('TypeProto.Sequence', 4),
            mapType: one('TypeProto.Map', 5), optionalType: one('TypeProto.Optional', 9),
            sparseTensorType: one('TypeProto.Tensor', 8), denotation: one('string', 6),
          },
          nested: {
            Tensor: { fields: { elemType: one('int32', 1), shape: one('TensorShapeProto', 2) } },
            Sequence: { fields: { elemType: one('TypeProto', 1) } },
            Optional: { fields: { elemType: one('TypeProto', 1) } },
            Map: { fields: { keyType: one('int32', 1), valueType: one('TypeProto', 2) } },
          },
        },
        TensorShapeProto: {
          fields: { dim: rep('TensorShapeProto.Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: one('int64', 1), dimParam: one('string', 2), denotation: one('string', 3) },
            },
          },
        },
        TensorProto: {
          fields: {
            dims: rep('int64', 1), dataType: one('int32', 2), segment: one('TensorProto.Segment', 3),
            floatData: packed('float', 4), int32Data: packed('int32', 5), stringData: rep('bytes', 6),
            int64Data: packed('int64', 7), name: one('string', 8), docString: one('string', 12),
            rawData: one('bytes', 9), externalData: rep('StringStringEntryProto', 13),
            dataLocation: one('int32', 14), doubleData: packed('double', 10),
            uint64Data: packed('uint64', 11), metadataProps: rep('StringStringEntryProto', 16),
          },
          nested: { Segment: { fields: { begin: one('int64', 1), end: one('int64', 2) } } },
        },
        // Test data of sequence / optional values (onnx-ml.proto's SequenceProto, OptionalProto).
        SequenceProto: {
          fields: {
            name: one('string', 1), elemType: one('int32', 2), tensorValues: rep('TensorProto', 3),
            sparseTensorValues: rep('SparseTensorProto', 4), sequenceValues: rep('SequenceProto', 5),
            optionalValues: rep('OptionalProto', 7),
          },
        },
        OptionalProto: {
          fields: {
            name: one('string', 1), elemType: one('int32', 2), tensorValue: one('TensorProto', 3),
            sparseTensorValue: one('SparseTensorProto', 4), sequenceValue: one('SequenceProto', 5),
            optionalValue: one('OptionalProto', 7),
          },
        },
        SparseTensorProto: {
          fields: { values: one('TensorProto', 1), indices: one('TensorProto', 2), dims: rep('int64', 3) },
        },
      },
    },
  },
};

export const onnxRoot: protobuf.Root = protobuf.Root.fromJSON(descriptor);
onnxRoot.resolveAll();

export const ModelType = onnxRoot.lookupType('onnx.ModelProto');
export const TensorType = onnxRoot.lookupType('onnx.TensorProto');
export const SequenceType = onnxRoot.lookupType('onnx.SequenceProto');
export const OptionalType = onnxRoot.lookupType('onnx.OptionalProto');

/** SequenceProto / OptionalProto elem_type values. */
export const ValueElemType = { TENSOR: 1, SPARSE_TENSOR: 2, SEQUENCE: 3, MAP: 4, OPTIONAL: 5 } as const;
export interface SequenceMsg {
  name?: string; elemType?: number; tensorValues?: TensorMsg[]; sequenceValues?: SequenceMsg[];
  optionalValues?: OptionalMsg[];
}
export interface OptionalMsg {
  name?: string; elemType?: number; tensorValue?: TensorMsg; sequenceValue?: SequenceMsg;
  optionalValue?: OptionalMsg;
}

/** protobufjs int64 values arrive as numbers or Long objects. */
export type Int64 = number | { toString(): string; low: number; high: number; unsigned: boolean };

// Decoded shapes (only the fields kestrel reads; all optional as in proto2).
export interface StringEntry { key?: string; value?: string }
export interface TensorMsg {
  dims?: Int64[]; dataType?: number; name?: string; rawData?: Uint8Array;
  floatData?: number[]; int32Data?: number[]; int64Data?: Int64[]; doubleData?: number[];
  uint64Data?: Int64[]; stringData?: Uint8Array[]; externalData?: StringEntry[];
  dataLocation?: number; segment?: unknown;
}
export interface DimMsg { dimValue?: Int64; dimParam?: string }
export interface TypeMsg {
  tensorType?: { elemType?: number; shape?: { dim?: DimMsg[] } };
  sequenceType?: { elemType?: TypeMsg }; mapType?: unknown; optionalType?: { elemType?: TypeMsg };
  sparseTensorType?: unknown;
}
export interface ValueInfoMsg { name?: string; type?: TypeMsg }
export interface AttributeMsg {
  name?: string; refAttrName?: string; type?: number; f?: number; i?: Int64; s?: Uint8Array;
  t?: TensorMsg; g?: GraphMsg; tp?: TypeMsg; floats?: number[]; ints?: Int64[];
  strings?: Uint8Array[]; tensors?: TensorMsg[]; graphs?: GraphMsg[];
  sparseTensor?: unknown; sparseTensors?: unknown[]; typeProtos?: TypeMsg[];
}
export interface NodeMsg {
  input?: string[]; output?: string[]; name?: string; opType?: string; domain?: string;
  attribute?: AttributeMsg[];
}
export interface GraphMsg {
  node?: NodeMsg[]; name?: string; initializer?: TensorMsg[]; sparseInitializer?: unknown[];
  input?: ValueInfoMsg[]; output?: ValueInfoMsg[]; valueInfo?: ValueInfoMsg[];
}
export interface ModelMsg {
  irVersion?: Int64; opsetImport?: { domain?: string; version?: Int64 }[];
  producerName?: string; producerVersion?: string; graph?: GraphMsg;
}

/** Converts a protobufjs int64 to a bigint exactly. */
export function int64ToBigInt(v: Int64 | undefined): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return BigInt(v.toString());
}

/** Converts an int64 to a number, or undefined when it is not a safe integer. */
export function int64ToSafe(v: Int64 | undefined): number | undefined {
  const b = int64ToBigInt(v);
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
  return Number(b);
}
