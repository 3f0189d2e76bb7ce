import { Ajv } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { errorMessage } from '../common/errors.js';

/** A parsed JSON Schema document: an object, or `true` / `false`. */
export type JsonSchema = boolean | { [keyword: string]: unknown };

export type JsonSchemaParser = (text: string) => JsonSchema;

/**
 * Builds a parser that accepts JSON Schema text only when it is valid against
 * its draft's meta-schema (2020-12, 2019-09, else draft-07; draft-04 is
 * checked only for shape, its meta-schema is not bundled with ajv). Remote
 * `$ref`s are not resolved: the registry stores schemas, it does not fetch them.
 */
export function createJsonSchemaParser(): JsonSchemaParser {
  const options = { strict: false, validateFormats: false } as const;
  const draft7 = new Ajv(options);
  const draft2019 = new Ajv2019(options);
  const draft2020 = new Ajv2020(options);

  return (text) => {
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (err) {
      throw new Error(`not JSON: ${errorMessage(err)}`, { cause: err });
    }
    if (typeof schema === 'boolean') return schema;
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new Error('a JSON Schema is an object or a boolean');
    const { $schema: dialect, ...rest } = schema as Record<string, unknown>;
    const uri = typeof dialect === 'string' ? dialect : '';
    if (/draft-0[34]/.test(uri)) return schema as JsonSchema;
    const ajv = uri.includes('2020-12') ? draft2020 : uri.includes('2019-09') ? draft2019 : draft7;
    // validateSchema would look `$schema` up by URI; the dialect is chosen above instead.
    if (!ajv.validateSchema(rest)) throw new Error(ajv.errorsText(ajv.errors, { dataVar: 'schema' }));
    return schema as JsonSchema;
  };
}
