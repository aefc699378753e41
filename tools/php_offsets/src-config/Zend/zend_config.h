/* Hand-made stand-in for the Zend/zend_config.h that ./configure generates. */
#include <../main/php_config.h>
