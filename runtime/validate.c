/*===- validate.c - checking a run's inputs against the signature --*- C -*-===*
 *
 * Part of kiln. See runtime_internal.h.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*--- Running --------------------------------------------------------------*/

void sb_shape(strbuf *sb, const int64_t *dims, size_t rank) {
  sb_printf(sb, "[");
  for (size_t d = 0; d < rank; ++d)
    sb_printf(sb, "%s%lld", d ? ", " : "", (long long)dims[d]);
  sb_printf(sb, "]");
}

void sb_expected_shape(strbuf *sb, const value_info *v) {
  sb_printf(sb, "[");
  for (size_t d = 0; d < v->rank; ++d) {
    if (v->dim_names[d])
      sb_printf(sb, "%s%s", d ? ", " : "", v->dim_names[d]);
    else
      sb_printf(sb, "%s%lld", d ? ", " : "", (long long)v->dims[d]);
  }
  sb_printf(sb, "]");
}

/* "input 'x' has shape [..] but the model expects [..]" and, when
 * `with_bindings`, the values bound to its symbolic dims by then. */
static kiln_status shape_error(const run_state *rs, size_t j, int with_bindings,
                               const char *extra) {
  const value_info *v = &rs->model->inputs[j];
  const kiln_tensor *t = rs->tensors[j];
  strbuf sb = {0};
  sb_printf(&sb, "input '%s' has shape ", v->name);
  sb_shape(&sb, t->dims, t->rank);
  sb_printf(&sb, " but the model expects ");
  sb_expected_shape(&sb, v);
  sb_printf(&sb, "%s", extra);
  if (with_bindings) {
    /* Each bound name once, with the input(s) that bound them. */
    size_t first_source = (size_t)-1, count = 0;
    int one_source = 1;
    for (size_t d = 0; d < v->rank; ++d) {
      int s = v->dim_syms[d];
      if (s < 0 || rs->sym_value[s] < 0)
        continue;
      int seen = 0;
      for (size_t e = 0; e < d; ++e)
        seen |= v->dim_syms[e] == s;
      if (seen)
        continue;
      if (count == 0)
        first_source = rs->sym_source[s];
      one_source &= rs->sym_source[s] == first_source;
      ++count;
    }
    size_t k = 0;
    for (size_t d = 0; d < v->rank; ++d) {
      int s = v->dim_syms[d], seen = 0;
      if (s < 0 || rs->sym_value[s] < 0)
        continue;
      for (size_t e = 0; e < d; ++e)
        seen |= v->dim_syms[e] == s;
      if (seen)
        continue;
      sb_printf(&sb, "%s%s=%lld", k++ ? ", " : " with ", rs->model->syms[s],
                (long long)rs->sym_value[s]);
      if (!one_source)
        sb_printf(&sb, " (from '%s')",
                  rs->model->inputs[rs->sym_source[s]].name);
    }
    if (count && one_source)
      sb_printf(&sb, " (from '%s')", rs->model->inputs[first_source].name);
  }
  kiln_status st = fail(KILN_ERROR_INVALID_ARGUMENT, "%s", sb_str(&sb));
  free(sb.data);
  return st;
}

/* Checks the values of an input with a range. */
static kiln_status check_range(const value_info *v, const kiln_tensor *t) {
  /* Through memcpy: a wrapped buffer need not be aligned to its element
   * size (kiln_tensor_wrap allows any address). */
  for (size_t k = 0; k < t->num_elements; ++k) {
    int64_t x;
    switch (t->dtype) {
    case KILN_INT64:
      memcpy(&x, (const char *)t->data + 8 * k, 8);
      break;
    case KILN_INT32: {
      int32_t y;
      memcpy(&y, (const char *)t->data + 4 * k, 4);
      x = y;
      break;
    }
    case KILN_INT8:
      x = ((const int8_t *)t->data)[k];
      break;
    default:
      x = ((const uint8_t *)t->data)[k];
      break;
    }
    if (x >= v->lo && x < v->hi)
      continue;
    strbuf sb = {0};
    sb_printf(&sb, "input '%s' has value %lld at [", v->name, (long long)x);
    for (size_t d = 0, rest = k, inner = t->num_elements; d < t->rank; ++d) {
      inner /= (size_t)t->dims[d];
      sb_printf(&sb, "%s%zu", d ? ", " : "", rest / inner);
      rest %= inner;
    }
    sb_printf(&sb, "], outside the model's valid range [%lld, %lld)",
              (long long)v->lo, (long long)v->hi);
    kiln_status st = fail(KILN_ERROR_INVALID_ARGUMENT, "%s", sb_str(&sb));
    free(sb.data);
    return st;
  }
  return KILN_OK;
}

kiln_status check_input(run_state *rs, size_t j) {
  const value_info *v = &rs->model->inputs[j];
  const kiln_tensor *t = rs->tensors[j];
  if (t->dtype != v->dtype) {
    strbuf sb = {0};
    sb_printf(&sb, "input '%s' has dtype %s but the model expects %s ", v->name,
              dtype_name(t->dtype), dtype_name(v->dtype));
    sb_expected_shape(&sb, v);
    kiln_status st = fail(KILN_ERROR_INVALID_ARGUMENT, "%s", sb_str(&sb));
    free(sb.data);
    return st;
  }
  if (t->rank != v->rank) {
    char extra[64];
    snprintf(extra, sizeof extra, " (rank %zu, not %zu)", v->rank, t->rank);
    return shape_error(rs, j, 0, extra);
  }
  for (size_t d = 0; d < v->rank; ++d)
    if (v->dims[d] >= 0 && t->dims[d] != v->dims[d])
      return shape_error(rs, j, 0, "");
  for (size_t d = 0; d < v->rank; ++d) {
    int s = v->dim_syms[d];
    if (s < 0)
      continue;
    if (rs->sym_value[s] >= 0 && rs->sym_value[s] != t->dims[d])
      return shape_error(rs, j, 1, "");
    if (rs->sym_value[s] < 0) {
      rs->sym_value[s] = t->dims[d];
      rs->sym_source[s] = j;
    }
  }
  if (v->has_range)
    return check_range(v, t);
  return KILN_OK;
}

/* Orders `inputs` by signature into order[], matching names if given. */
kiln_status match_inputs(const kiln_model *m, const char *const *names,
                         kiln_tensor *const *inputs, kiln_tensor **order) {
  for (size_t k = 0; k < m->num_inputs; ++k) {
    if (!inputs[k])
      return fail(KILN_ERROR_INVALID_ARGUMENT, "input tensor %zu is NULL", k);
    if (!names) {
      order[k] = inputs[k];
      continue;
    }
    if (!names[k])
      return fail(KILN_ERROR_INVALID_ARGUMENT, "input name %zu is NULL", k);
    size_t j = 0;
    while (j < m->num_inputs && strcmp(m->inputs[j].name, names[k]))
      ++j;
    if (j == m->num_inputs) {
      strbuf sb = {0};
      sb_printf(&sb, "unknown input '%s'; the model's inputs are", names[k]);
      for (size_t i = 0; i < m->num_inputs; ++i)
        sb_printf(&sb, "%s '%s'", i ? "," : "", m->inputs[i].name);
      kiln_status st = fail(KILN_ERROR_NOT_FOUND, "%s", sb_str(&sb));
      free(sb.data);
      return st;
    }
    if (order[j])
      return fail(KILN_ERROR_INVALID_ARGUMENT, "input '%s' is given twice",
                  names[k]);
    order[j] = inputs[k];
  }
  return KILN_OK;
}

kiln_status count_error(const kiln_model *m, const char *what, int outputs,
                        size_t got) {
  const value_info *v = outputs ? m->outputs : m->inputs;
  size_t n = outputs ? m->num_outputs : m->num_inputs;
  strbuf sb = {0};
  sb_printf(&sb, "the model has %zu %s (", n, what);
  for (size_t i = 0; i < n; ++i)
    sb_printf(&sb, "%s'%s'", i ? ", " : "", v[i].name);
  sb_printf(&sb, ") but %zu were given", got);
  kiln_status st = fail(KILN_ERROR_INVALID_ARGUMENT, "%s", sb_str(&sb));
  free(sb.data);
  return st;
}
