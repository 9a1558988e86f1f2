// Module entry point of the clara extension.
#include "flush_worker.hpp"
#include "guc.hpp"
#include "pg.hpp"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);
void _PG_init(void) {
    clara::pg::define_settings();
    clara::pg::register_flush_callback();
}
}
