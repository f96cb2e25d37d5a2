/* plugin.h must stay plain C99: this file only has to compile cleanly. */
#include <mailfw/plugin.h>

static const mailfw_config_key key = {sizeof(mailfw_config_key), "k", MAILFW_KEY_STRING, 0, NULL, "h"};

int mailfw_c99_probe(const mailfw_plugin *p);
int mailfw_c99_probe(const mailfw_plugin *p) {
    return MAILFW_HAS_FIELD(p, mailfw_plugin, delivery) && key.struct_size > 0;
}
