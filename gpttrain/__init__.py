"""gpttrain: how the project's models are made (training, the model card, small random models for tests).

Kept apart from gptmath, the numerical core the scenes read:

    python -m gpttrain.train --help     # train a GPT-2 on the corpus, resumable, with float16 snapshots
    python -m gpttrain.card --help      # write a trained model's card from its log and live measurements
"""
