/** Writes schemas/json/<topic>.schema.json from the Avro schemas: `npm run schemas`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TOPICS, jsonSchema } from './index.js';

for (const topic of TOPICS) {
  const path = fileURLToPath(new URL(`./json/${topic}.schema.json`, import.meta.url));
  writeFileSync(path, `${JSON.stringify(jsonSchema(topic), null, 2)}\n`);
  console.log(`wrote ${path}`);
}
