// Op runner entries: index_select and the tokeniser. Every index the ops will follow (rows,
// features, category codes, table offsets) is checked here, before the op runs: the ops trust
// their inputs and never throw inside a parallel region.
#include <cstdint>
#include <string>

#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

// a number as JavaScript prints it (9, 4.5, NaN)
std::string js_number(Napi::Env env, double v) { return Napi::Number::New(env, v).ToString().Utf8Value(); }

Napi::RangeError values_error(Napi::Env env, const std::string& values, int64_t lo, int64_t hi,
                              const char* name, double got, int64_t at) {
  return Napi::RangeError::New(env, "Expected " + values + " in [" + std::to_string(lo) + ", " +
                                        std::to_string(hi) + ") in buffers." + name + " but received " +
                                        js_number(env, got) + " at index " + std::to_string(at));
}

// every p[i] (n) in [lo, hi)
void check_indices(OpCall& c, const char* name, const int32_t* p, int64_t n, int64_t lo, int64_t hi) {
  for (int64_t i = 0; i < n; ++i)
    if (p[i] < lo || p[i] >= hi) throw values_error(c.env, "values", lo, hi, name, p[i], i);
}

// ---- index_select ---------------------------------------------------------------------------

IndexDims index_dims(OpCall& c) { return IndexDims{c.dim("N"), c.dim("Nin"), c.dim("C")}; }

Napi::Value index_select_fwd(OpCall& c) {
  IndexDims d = index_dims(c);
  float* out = c.buf<float>("out", (int64_t)d.N * d.C);
  const float* inp = c.buf<float>("inp", (int64_t)d.Nin * d.C);
  const int32_t* idx = c.buf<int32_t>("idx", d.N);
  check_indices(c, "idx", idx, d.N, 0, d.Nin);
  c.op(&Backend::index_select_forward_fn)(out, inp, idx, d);
  return c.env.Undefined();
}

Napi::Value index_select_bwd(OpCall& c) {
  IndexDims d = index_dims(c);
  float* dinp = c.opt<float>("dinp", (int64_t)d.Nin * d.C);
  const float* dout = c.buf<float>("dout", (int64_t)d.N * d.C);
  const int32_t* idx = c.buf<int32_t>("idx", d.N);
  check_indices(c, "idx", idx, d.N, 0, d.Nin);
  c.op(&Backend::index_select_backward_fn)(dinp, dout, idx, d);
  return c.env.Undefined();
}

// ---- tokenizer ------------------------------------------------------------------------------

TokDims tok_dims(OpCall& c) { return TokDims{c.dim("B"), c.dim("T"), c.dim("D"), c.dim("C")}; }

// buffers.<name>: a Float32Array of whole rows of width C (any number of rows), or null when
// optional and absent; *rows gets the row count
float* table_buf(OpCall& c, const char* name, const TokDims& d, bool optional, int64_t* rows) {
  Napi::Value v = c.buffers.Get(name);
  *rows = 0;
  if (optional && (v.IsUndefined() || v.IsNull())) return nullptr;
  size_t len = 0;
  float* p = typed<float>(v, -1, std::string("buffers.") + name, &len);
  if (len % d.C != 0)
    throw Napi::RangeError::New(c.env, std::string("Expected a Float32Array whose length is a multiple of dims.C (") +
                                           std::to_string(d.C) + ") for buffers." + name +
                                           " but received length " + std::to_string(len));
  *rows = static_cast<int64_t>(len) / d.C;
  return p;
}

// The indices the tokeniser follows: feat (B, T) in [0, D); for each categorical feature j
// (cat_offset[j] >= 0) a count cat_card[j] >= 1 whose rows cat_offset[j] .. + cat_card[j] lie
// inside the table (table_rows < 0: no table to check against), and codes x[b, j] that are
// integers in [0, cat_card[j]). cat_offset is -1 for numeric features.
void check_tokens(OpCall& c, const TokDims& d, const float* x, const int32_t* feat,
                  const int32_t* cat_offset, const int32_t* cat_card, int64_t table_rows,
                  const char* table_name) {
  check_indices(c, "feat", feat, (int64_t)d.B * d.T, 0, d.D);
  for (int j = 0; j < d.D; ++j) {
    const int64_t off = cat_offset[j];
    if (off < -1) throw values_error(c.env, "values", -1, table_rows < 0 ? INT32_MAX : table_rows, "cat_offset", off, j);
    if (off < 0) continue;
    const int64_t card = cat_card[j];
    if (card < 1)
      throw Napi::RangeError::New(c.env, "Expected a category count of at least 1 in buffers.cat_card for categorical feature " +
                                             std::to_string(j) + " but received " + std::to_string(card) + " at index " +
                                             std::to_string(j));
    if (table_rows >= 0 && off + card > table_rows)
      throw Napi::RangeError::New(
          c.env, "Expected cat_offset[j] + cat_card[j] <= " + std::to_string(table_rows) + " (the rows of buffers." +
                     table_name + ") but feature " + std::to_string(j) + " has buffers.cat_offset " +
                     std::to_string(off) + " and buffers.cat_card " + std::to_string(card));
  }
  for (int b = 0; b < d.B; ++b)
    for (int j = 0; j < d.D; ++j) {
      if (cat_offset[j] < 0) continue;
      const int64_t at = (int64_t)b * d.D + j;
      const float v = x[at];
      // the comparisons are false for NaN, so NaN is rejected too
      if (!(v >= 0.f && v < static_cast<float>(cat_card[j]) && static_cast<float>(static_cast<int64_t>(v)) == v))
        throw values_error(c.env, "integer category codes", 0, cat_card[j], "x", v, at);
    }
}

Napi::Value tokenizer_fwd(OpCall& c) {
  TokDims d = tok_dims(c);
  float* out = c.buf<float>("out", (int64_t)d.B * d.T * d.C);
  const float* x = c.buf<float>("x", (int64_t)d.B * d.D);
  const int32_t* feat = c.buf<int32_t>("feat", (int64_t)d.B * d.T);
  const float* w_num = c.buf<float>("w_num", d.C);
  const float* b_num = c.buf<float>("b_num", (int64_t)d.D * d.C);
  int64_t rows = 0;
  const float* cat_table = table_buf(c, "cat_table", d, false, &rows);
  const int32_t* cat_offset = c.buf<int32_t>("cat_offset", d.D);
  const int32_t* cat_card = c.buf<int32_t>("cat_card", d.D);
  const float* e_type = c.buf<float>("e_type", 2 * (int64_t)d.C);
  const float* e_pos = c.buf<float>("e_pos", (int64_t)d.D * d.C);
  check_tokens(c, d, x, feat, cat_offset, cat_card, rows, "cat_table");
  c.op(&Backend::tokenizer_forward_fn)(out, x, feat, w_num, b_num, cat_table, cat_offset,
                                                      cat_card, e_type, e_pos, d);
  return c.env.Undefined();
}

// cat_card is not an argument of the op; the runner takes it to check the codes as forward does
Napi::Value tokenizer_bwd(OpCall& c) {
  TokDims d = tok_dims(c);
  float* dw_num = c.opt<float>("dw_num", d.C);
  float* db_num = c.opt<float>("db_num", (int64_t)d.D * d.C);
  int64_t rows = 0;
  float* dcat_table = table_buf(c, "dcat_table", d, true, &rows);
  float* de_type = c.opt<float>("de_type", 2 * (int64_t)d.C);
  const float* dout = c.buf<float>("dout", (int64_t)d.B * d.T * d.C);
  const float* x = c.buf<float>("x", (int64_t)d.B * d.D);
  const int32_t* feat = c.buf<int32_t>("feat", (int64_t)d.B * d.T);
  const int32_t* cat_offset = c.buf<int32_t>("cat_offset", d.D);
  const int32_t* cat_card = c.buf<int32_t>("cat_card", d.D);
  check_tokens(c, d, x, feat, cat_offset, cat_card, dcat_table ? rows : -1, "dcat_table");
  c.op(&Backend::tokenizer_backward_fn)(dw_num, db_num, dcat_table, de_type, dout, x, feat,
                                                        cat_offset, d);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(index_select_forward, index_select_fwd);
VJ_REGISTER_OP(index_select_backward, index_select_bwd);
VJ_REGISTER_OP(tokenizer_forward, tokenizer_fwd);
VJ_REGISTER_OP(tokenizer_backward, tokenizer_bwd);

}  // namespace napi
}  // namespace vj
