/* Config handles: open-time settings by name (see av1gym.h, block "config"). A small array of entries, since
 * an open takes a few dozen at most; each entry remembers whether the consumer read it, so the consumer can
 * name the key it does not know instead of silently ignoring a typo. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define KEY_MAX 63
#define STR_MAX 4095

typedef struct {
  char key[KEY_MAX + 1];
  char type; /* 'i', 's', 'd' */
  int64_t i;
  double d;
  char *s;
  int32_t read;
} Entry;

struct AgConfig {
  Entry *e;
  int32_t n, cap;
};

static const char *type_name(char t) { return t == 'i' ? "an integer" : t == 'd' ? "a number" : "a string"; }

AgConfig *ag_config_new(void) {
  ag_clear_error();
  AgConfig *c = calloc(1, sizeof *c);
  if (!c) ag_fail(AG_E_NOMEM, "out of memory");
  return c;
}

void ag_config_free(AgConfig *c) {
  if (!c) return;
  for (int32_t k = 0; k < c->n; k++) free(c->e[k].s);
  free(c->e);
  free(c);
}

static Entry *find(const AgConfig *c, const char *key) {
  if (!c) return NULL;
  for (int32_t k = 0; k < c->n; k++)
    if (strcmp(c->e[k].key, key) == 0) return &c->e[k];
  return NULL;
}

/* The entry for key, created when new; its old string value is freed. */
static Entry *slot(AgConfig *c, const char *key, int32_t *rc) {
  ag_clear_error();
  if (!c) {
    *rc = ag_fail(AG_E_INVALID, "config is null");
    return NULL;
  }
  size_t len = key ? strlen(key) : 0;
  if (len == 0 || len > KEY_MAX) {
    *rc = ag_fail(AG_E_INVALID, "config key must be 1..%d bytes", KEY_MAX);
    return NULL;
  }
  Entry *e = find(c, key);
  if (!e) {
    if (c->n == c->cap) {
      int32_t cap = c->cap ? c->cap * 2 : 16;
      Entry *g = realloc(c->e, sizeof *g * (size_t)cap);
      if (!g) {
        *rc = ag_fail(AG_E_NOMEM, "out of memory");
        return NULL;
      }
      c->e = g;
      c->cap = cap;
    }
    e = &c->e[c->n++];
    memset(e, 0, sizeof *e);
    memcpy(e->key, key, len + 1);
  }
  free(e->s);
  e->s = NULL;
  *rc = AG_OK;
  return e;
}

int32_t ag_config_set_int(AgConfig *c, const char *key, int64_t value) {
  int32_t rc;
  Entry *e = slot(c, key, &rc);
  if (!e) return rc;
  e->type = 'i';
  e->i = value;
  return AG_OK;
}

int32_t ag_config_set_double(AgConfig *c, const char *key, double value) {
  int32_t rc;
  if (isnan(value)) return ag_fail(AG_E_INVALID, "config key %s: NaN is not a value", key ? key : "(null)");
  Entry *e = slot(c, key, &rc);
  if (!e) return rc;
  e->type = 'd';
  e->d = value;
  return AG_OK;
}

int32_t ag_config_set_str(AgConfig *c, const char *key, const char *value) {
  if (!value) return ag_fail(AG_E_INVALID, "config key %s: the string is null", key ? key : "(null)");
  size_t len = strlen(value);
  if (len > STR_MAX) return ag_fail(AG_E_INVALID, "config key %s: the string is longer than %d bytes", key ? key : "(null)", STR_MAX);
  char *copy = malloc(len + 1);
  if (!copy) return ag_fail(AG_E_NOMEM, "out of memory");
  memcpy(copy, value, len + 1);
  int32_t rc;
  Entry *e = slot(c, key, &rc);
  if (!e) {
    free(copy);
    return rc;
  }
  e->type = 's';
  e->s = copy;
  return AG_OK;
}

void ag_config_begin(AgConfig *c) {
  if (c)
    for (int32_t k = 0; k < c->n; k++) c->e[k].read = 0;
}

int32_t ag_config_has(const AgConfig *c, const char *key) { return find(c, key) != NULL; }

int32_t ag_config_int(AgConfig *c, const char *key, int64_t lo, int64_t hi, int64_t def, int64_t *out) {
  Entry *e = find(c, key);
  *out = def;
  if (!e) return AG_OK;
  e->read = 1;
  if (e->type != 'i') return ag_fail(AG_E_INVALID, "option %s must be an integer, got %s", key, type_name(e->type));
  if (e->i < lo || e->i > hi)
    return ag_fail(AG_E_INVALID, "option %s is %" PRId64 ", outside %" PRId64 "..%" PRId64, key, e->i, lo, hi);
  *out = e->i;
  return AG_OK;
}

int32_t ag_config_int32(AgConfig *c, const char *key, int32_t lo, int32_t hi, int32_t def, int32_t *out) {
  int64_t v;
  int32_t rc = ag_config_int(c, key, lo, hi, def, &v);
  *out = (int32_t)v;
  return rc;
}

int32_t ag_config_double(AgConfig *c, const char *key, double lo, double hi, double def, double *out) {
  Entry *e = find(c, key);
  *out = def;
  if (!e) return AG_OK;
  e->read = 1;
  if (e->type == 's') return ag_fail(AG_E_INVALID, "option %s must be a number, got a string", key);
  double v = e->type == 'i' ? (double)e->i : e->d;
  if (!(v >= lo && v <= hi)) return ag_fail(AG_E_INVALID, "option %s is %g, outside %g..%g", key, v, lo, hi);
  *out = v;
  return AG_OK;
}

int32_t ag_config_str(AgConfig *c, const char *key, const char *def, const char **out) {
  Entry *e = find(c, key);
  *out = def;
  if (!e) return AG_OK;
  e->read = 1;
  if (e->type != 's') return ag_fail(AG_E_INVALID, "option %s must be a string, got %s", key, type_name(e->type));
  *out = e->s;
  return AG_OK;
}

int32_t ag_config_choice(AgConfig *c, const char *key, const char *const *names, int32_t def, int32_t *out) {
  const char *s;
  *out = def;
  int32_t rc = ag_config_str(c, key, NULL, &s);
  if (rc != AG_OK || !s) return rc;
  char list[256] = "";
  for (int32_t k = 0; names[k]; k++) {
    if (strcmp(s, names[k]) == 0) {
      *out = k;
      return AG_OK;
    }
    size_t at = strlen(list);
    snprintf(list + at, sizeof list - at, "%s\"%s\"", k ? ", " : "", names[k]);
  }
  return ag_fail(AG_E_INVALID, "option %s is \"%s\", expected one of %s", key, s, list);
}

int32_t ag_config_end(AgConfig *c, const char *consumer) {
  if (!c) return AG_OK;
  for (int32_t k = 0; k < c->n; k++)
    if (!c->e[k].read) return ag_fail(AG_E_INVALID, "%s has no option \"%s\"", consumer, c->e[k].key);
  return AG_OK;
}

int32_t ag_config_entry(AgConfig *c, int32_t i, const char **key, char *type, char *text, size_t text_len) {
  if (!c || i < 0 || i >= c->n) return 0;
  Entry *e = &c->e[i];
  e->read = 1;
  *key = e->key;
  *type = e->type;
  if (e->type == 'i')
    snprintf(text, text_len, "%" PRId64, e->i);
  else if (e->type == 'd')
    snprintf(text, text_len, "%.17g", e->d);
  else
    snprintf(text, text_len, "%s", e->s);
  return 1;
}
