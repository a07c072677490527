{#-
    Stage 2b (int_name_pairs_romanized): the candidate pairs (stage 2) whose two names are one
    romanized name (docs/matching.md, 4.3): both cut into syllables (stage 1, name_syllables), as
    many on each side, and the syllables at each place are equal or spellings of one reading of
    seed romanized_syllables (HSI CHIN PING ~ XI JIN PING: hsi and xi are both Pinyin xi, chin is
    Wade-Giles for jin; PAK ~ PARK ~ BAK are all 박). Spellings of different readings never
    meet, even where one spelling stands for both (JIN ~ CHIN and CHIN ~ QIN, but not JIN ~ QIN).
-#}
{% macro scoring_pairs_romanized(pairs, names) %}
    {%- set readings = omphalos.romanized_readings_values() -%}
    select
        aligned.a_id,
        aligned.b_id
    from (
        select
            pairs.a_id,
            pairs.b_id,
            split_part(a_names.name_syllables, ' ', positions.position) as a_syllable,
            split_part(b_names.name_syllables, ' ', positions.position) as b_syllable
        from {{ pairs }} as pairs
        inner join {{ names }} as a_names
            on a_names.side = 'a' and pairs.a_id = a_names.name_id
        inner join {{ names }} as b_names
            on b_names.side = 'b' and pairs.b_id = b_names.name_id
        inner join {{ omphalos.sql_integer_values(range(1, var('romanized_max_syllables') + 1)) }} as positions (position)
            on positions.position <= length(a_names.name_syllables) - length(replace(a_names.name_syllables, ' ', '')) + 1
        where
            a_names.name_syllables is not null
            and b_names.name_syllables is not null
            and a_names.name_syllables <> b_names.name_syllables
            and length(a_names.name_syllables) - length(replace(a_names.name_syllables, ' ', ''))
            = length(b_names.name_syllables) - length(replace(b_names.name_syllables, ' ', ''))
            and length(a_names.name_syllables) - length(replace(a_names.name_syllables, ' ', ''))
            < {{ var('romanized_max_syllables') }}
    ) as aligned
    left join (
        select distinct
            a_readings.spelling as a_spelling,
            b_readings.spelling as b_spelling
        from {{ readings }} as a_readings (spelling, reading)
        inner join {{ readings }} as b_readings (spelling, reading)
            on a_readings.reading = b_readings.reading
    ) as equivalent
        on aligned.a_syllable = equivalent.a_spelling and aligned.b_syllable = equivalent.b_spelling
    group by 1, 2
    having count(*) = sum(case when aligned.a_syllable = aligned.b_syllable or equivalent.a_spelling is not null then 1 else 0 end)
{% endmacro %}
