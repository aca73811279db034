"""Seed the topic catalog with a dozen real ML areas; operators edit it in the admin."""

from django.db import migrations

TOPICS = [
    ("large-language-models", "Large language models",
     "Pretraining, scaling, instruction tuning and evaluation of LLMs.",
     ['"language model"', "LLMs", "title:transformer", '"instruction tuning"', "pretraining"],
     "cs.CL"),
    ("computer-vision", "Computer vision",
     "Recognition, detection, segmentation and 3D from images and video.",
     ["segmentation", '"object detection"', '"image classification"', '"3D reconstruction"',
      '"video understanding"'],
     "cs.CV"),
    ("reinforcement-learning", "Reinforcement learning",
     "Agents that learn from reward, including RL for language models.",
     ['"reinforcement learning"', "RLHF", '"policy optimization"', "GRPO", '"reward model"'],
     ""),
    ("interpretability", "Interpretability",
     "Understanding what models compute: circuits, probes, sparse autoencoders.",
     ["interpretability", '"sparse autoencoder"', '"mechanistic interpretability"', "probing",
      "circuits attribution"],
     ""),
    ("diffusion-generative", "Diffusion and generative models",
     "Diffusion, flow matching and other generative models of images, video and audio.",
     ["diffus*", '"flow matching"', '"text-to-image"', '"video generation"', '"generative model"'],
     ""),
    ("multimodal", "Vision-language and multimodal",
     "Models that read, see and listen: VLMs, multimodal LLMs, grounding.",
     ['"vision-language"', "VLM", "multimodal", '"visual question answering"'],
     ""),
    ("agents", "AI agents and tool use",
     "LLM agents that plan, browse, code and call tools.",
     ["title:agent", '"tool use"', '"function calling"', '"web agent"', '"computer use"'],
     ""),
    ("retrieval", "Retrieval and RAG",
     "Search, embeddings and retrieval-augmented generation.",
     ['"retrieval-augmented"', "RAG", '"dense retrieval"', "reranking", "embedding retrieval"],
     "cs.IR"),
    ("efficient-ml", "Efficient ML",
     "Making models smaller and faster: quantization, distillation, sparsity, inference.",
     ["quantization", "distillation", "pruning", '"speculative decoding"', '"KV cache"',
      '"mixture of experts"'],
     ""),
    ("safety-alignment", "AI safety and alignment",
     "Alignment, jailbreaks, red teaming, and evaluating risky behaviour.",
     ["alignment", "jailbreak", '"red teaming"', "safety", "deception"],
     ""),
    ("robotics", "Robotics and embodied AI",
     "Robot learning, manipulation and vision-language-action models.",
     ["robot*", "manipulation", '"embodied"', '"vision-language-action"'],
     "cs.RO"),
    ("speech-audio", "Speech and audio",
     "Speech recognition and synthesis, audio language models, music.",
     ["speech", '"text-to-speech"', "audio", "ASR"],
     "eess.AS cs.SD"),
    ("reasoning-math", "Reasoning and math",
     "Chain of thought, test-time compute, math and theorem proving.",
     ["reasoning", '"chain of thought"', '"test-time"', '"theorem proving"', "math*"],
     ""),
]


def seed(apps, schema_editor):
    Topic = apps.get_model("subscriptions", "Topic")
    for position, (slug, name, description, interests, categories) in enumerate(TOPICS):
        Topic.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "interests": "\n".join(interests),
                "categories": categories,
                "position": position,
            },
        )


def unseed(apps, schema_editor):
    Topic = apps.get_model("subscriptions", "Topic")
    Topic.objects.filter(slug__in=[slug for slug, *_ in TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
