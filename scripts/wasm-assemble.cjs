// The assembly of dots.wat with wabt, shared by scripts/build-wasm.mjs and the test that checks
// the committed bytes (test/wasm-dots.props.test.ts).
const wabt = require('wabt');

/** The module's bytes: the text parsed with the SIMD and multi-value features, validated, written without names. */
async function assembleDots(text) {
  const api = await wabt();
  const module = api.parseWat('dots.wat', text, { simd: true, multi_value: true });
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({ write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}

module.exports = { assembleDots };
