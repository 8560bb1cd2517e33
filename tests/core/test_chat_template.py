"""A model's own chat template, rendered in a sandbox and read as turn affixes; templates written
here in the shapes real ones take (a default system turn, a system text folded into the first
user turn, a start-of-text token, a refused role)."""

from __future__ import annotations

import pytest

from playground.core.chat_template import ChatTemplateError, as_template, render

#: A system turn of its own, and a default one when the messages bring none.
DEFAULTING = ("{% for m in messages %}{% if loop.first and m['role'] != 'system' %}"
              "{{ '<|im_start|>system\\nDefault.<|im_end|>\\n' }}{% endif %}"
              "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
              "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
              "{% endif %}")
#: No system role: its text opens the first user turn; a start-of-text token first.
FOLDING = ("{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
           "{% set first = messages[0]['content'] + '\\n\\n' %}{% set rest = messages[1:] %}"
           "{% else %}{% set first = '' %}{% set rest = messages %}{% endif %}"
           "{% for m in rest %}{% set role = 'model' if m['role'] == 'assistant' else m['role'] %}"
           "{{ '<turn>' + role + '\\n' + (first if loop.first else '') + m['content'] "
           "+ '<end>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<turn>model\\n' }}"
           "{% endif %}")
#: Headers and an end-of-turn token, with the start-of-text token.
HEADERS = ("{{ bos_token }}{% for m in messages %}{{ '<|h|>' + m['role'] + '<|/h|>\\n\\n' "
           "+ m['content'] | trim + '<|eot|>' }}{% endfor %}"
           "{% if add_generation_prompt %}{{ '<|h|>assistant<|/h|>\\n\\n' }}{% endif %}")
REFUSING = ("{% for m in messages %}{% if m['role'] == 'system' %}"
            "{{ raise_exception('System role not supported') }}{% endif %}"
            "{{ '[' + m['role'] + ']' + m['content'] + '\\n' }}{% endfor %}"
            "{% if add_generation_prompt %}{{ '[assistant]' }}{% endif %}")


def test_a_template_with_a_default_system_turn_reads_as_its_turns() -> None:
    read = as_template(DEFAULTING)
    assert read.exact and not read.template.system_same_as_user
    assert read.template.affixes("user") == ("<|im_start|>user\n", "<|im_end|>\n")
    assert read.template.assistant_prefix == "<|im_start|>assistant\n"
    assert read.template.stop == ("<|im_end|>",)


def test_a_folded_system_text_and_a_start_token_are_read_as_the_server_renders() -> None:
    read = as_template(FOLDING, bos_token="<s>", eos_token="</s>")
    assert read.exact and read.template.system_same_as_user
    assert read.template.build("Hi", system="Be kind.") == \
        "<turn>user\nBe kind.\n\nHi<end>\n<turn>model\n"  # <s> is the server's to add
    assert read.template.stop == ("<end>", "</s>")
    headers = as_template(HEADERS, bos_token="<|begin|>")
    assert headers.exact
    assert headers.template.affixes("system") == ("<|h|>system<|/h|>\n\n", "<|eot|>")


def test_a_template_that_refuses_a_system_turn_still_gives_its_other_turns() -> None:
    read = as_template(REFUSING)
    assert read.template.system_same_as_user and not read.exact  # [user]S\n\nU, not its own
    assert read.template.affixes("user") == ("[user]", "\n")
    with pytest.raises(ChatTemplateError, match="System role not supported"):
        render(REFUSING, [{"role": "system", "content": "x"}], add_generation_prompt=True)


def test_the_sandbox_refuses_what_a_template_must_not_do() -> None:
    with pytest.raises(ChatTemplateError, match="does not render"):
        render("{{ messages.__class__.__mro__ }}{{ ''.__class__.__subclasses__() }}", [],
               add_generation_prompt=False)
    assert render("{{ messages | tojson }}", [{"role": "user", "content": "é"}],
                  add_generation_prompt=False) == '[{"role": "user", "content": "é"}]'
