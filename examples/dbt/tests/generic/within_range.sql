{#- A column's values lie within [min_value, max_value] (either bound may be left out).
    NULL passes (test it with not_null where it must be there); with a max_value, NaN fails
    (Postgres sorts it above every number). The rows returned are the failures. -#}
{% test within_range(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }} as out_of_range
from {{ model }}
where false
{%- if min_value is not none %}
   or {{ column_name }} < {{ min_value }}
{%- endif %}
{%- if max_value is not none %}
   or {{ column_name }} > {{ max_value }}
{%- endif %}
{% endtest %}
