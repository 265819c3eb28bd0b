using Cria.Text;

namespace Cria.Tests.Text;

public class ChatTemplateTests
{
    private static readonly ChatMessage[] WithSystem =
    [
        ChatMessage.System("You are terse."),
        ChatMessage.User(" Hi there! "),
        ChatMessage.Assistant("Hello.\n"),
        ChatMessage.User("What is 2+2?"),
    ];

    private static readonly ChatMessage[] WithoutSystem =
    [
        ChatMessage.User("Hi"),
        ChatMessage.Assistant("Hello"),
        ChatMessage.User("Bye"),
    ];

    [Fact]
    public void Llama2_folds_the_system_prompt_into_the_first_turn_and_strips_turns()
    {
        Assert.Equal(
            "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\n Hi there! [/INST] Hello. </s><s>[INST] What is 2+2? [/INST]",
            ChatTemplate.Llama2.Render(WithSystem));
        Assert.Equal("<s>[INST] Hi [/INST] Hello </s><s>[INST] Bye [/INST]", ChatTemplate.Llama2.Render(WithoutSystem, addGenerationPrompt: false));
        Assert.True(ChatTemplate.Llama2.RendersBos);
        Assert.Throws<ArgumentException>(() => ChatTemplate.Llama2.Render([ChatMessage.User("a"), ChatMessage.User("b")]));
    }

    [Fact]
    public void Llama3_wraps_each_trimmed_turn_in_headers()
    {
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.Llama3.Render(WithSystem));
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>",
            ChatTemplate.Llama3.Render(WithoutSystem, addGenerationPrompt: false));
    }

    [Fact]
    public void ChatML_keeps_content_verbatim()
    {
        Assert.Equal(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n Hi there! <|im_end|>\n<|im_start|>assistant\nHello.\n<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.ChatML.Render(WithSystem));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n",
            ChatTemplate.ChatML.Render(WithoutSystem, addGenerationPrompt: false));
        Assert.False(ChatTemplate.ChatML.RendersBos);
    }

    [Fact]
    public void Zephyr_ends_each_turn_with_eos_and_a_newline()
    {
        Assert.Equal(
            "<|system|>\nYou are terse.</s>\n<|user|>\n Hi there! </s>\n<|assistant|>\nHello.\n</s>\n<|user|>\nWhat is 2+2?</s>\n<|assistant|>\n",
            ChatTemplate.Zephyr.Render(WithSystem));
        Assert.Equal("<|user|>\nHi</s>\n<|assistant|>\nHello</s>\n<|user|>\nBye</s>\n", ChatTemplate.Zephyr.Render(WithoutSystem, addGenerationPrompt: false));
        Assert.Equal("", ChatTemplate.Zephyr.Render([], addGenerationPrompt: true));
    }

    // The chat_template strings as the models ship them in tokenizer_config.json (after JSON decoding).
    private const string Llama2Chat = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    private const string Llama3Instruct = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    private const string Qwen2Instruct = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private const string Qwen25Instruct = "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- messages[0]['content'] }}\n    {%- else %}\n        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n    {%- endif %}\n    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\" }}\n    {{- \"<|im_end|>\\n\" }}\n{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n{%- for message in messages %}\n    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n";

    private const string YiChat = "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}{% endif %}{% if system_message is defined %}{{ system_message }}{% endif %}{% for message in messages %}{% set content = message['content'] %}{% if message['role'] == 'user' %}{{ '<|im_start|>user\\n' + content + '<|im_end|>\\n<|im_start|>assistant\\n' }}{% elif message['role'] == 'assistant' %}{{ content + '<|im_end|>' + '\\n' }}{% endif %}{% endfor %}";

    private const string ZephyrBeta = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    private const string MistralInstruct = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    private const string Phi3Mini = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";

    private const string Gemma = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

    public static TheoryData<string, string, string?> Templates => new()
    {
        { "Llama-2-7b-chat-hf", Llama2Chat, "llama2" },
        { "Meta-Llama-3-8B-Instruct", Llama3Instruct, "llama3" },
        { "Qwen2-7B-Instruct", Qwen2Instruct, "chatml" },
        { "Qwen2.5-7B-Instruct", Qwen25Instruct, "chatml" },
        // Yi writes a system message bare rather than as a system turn; everything else is ChatML.
        { "Yi-1.5-6B-Chat", YiChat, "chatml" },
        { "zephyr-7b-beta", ZephyrBeta, "zephyr" },
        { "Mistral-7B-Instruct-v0.1", MistralInstruct, null },
        { "Phi-3-mini-4k-instruct", Phi3Mini, null },
        { "gemma-7b-it", Gemma, null },
        { "none", "", null },
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public void Detects_the_built_in_a_model_template_matches(string model, string jinja, string? expected)
    {
        Assert.True(model.Length > 0);
        Assert.Equal(expected, ChatTemplate.Detect(jinja)?.Name);
    }

    [Fact]
    public void Detect_of_null_is_null() => Assert.Null(ChatTemplate.Detect(null));

    [Fact]
    public void Qwen_default_system_prompt_is_taken_from_the_template()
    {
        ChatTemplate qwen2 = ChatTemplate.Detect(Qwen2Instruct)!;
        Assert.Equal("You are a helpful assistant.", qwen2.DefaultSystemPrompt);
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            qwen2.Render([ChatMessage.User("Hi")]));
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            qwen2.Render([ChatMessage.System("Be brief."), ChatMessage.User("Hi")]));

        Assert.Equal("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", ChatTemplate.Detect(Qwen25Instruct)!.DefaultSystemPrompt);
        Assert.Null(ChatTemplate.Detect(YiChat)!.DefaultSystemPrompt);
        Assert.Null(ChatTemplate.ChatML.DefaultSystemPrompt);
    }

    [Theory]
    [InlineData("llama2")]
    [InlineData("Llama3")]
    [InlineData("CHATML")]
    [InlineData("zephyr")]
    public void ByName_finds_each_built_in(string name) => Assert.Equal(name.ToLowerInvariant(), ChatTemplate.ByName(name).Name);

    [Fact]
    public void ByName_lists_the_valid_names_when_unknown()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatTemplate.ByName("vicuna"));
        Assert.Contains("vicuna", e.Message);
        Assert.Contains("llama2, llama3, chatml, zephyr", e.Message);
    }
}
