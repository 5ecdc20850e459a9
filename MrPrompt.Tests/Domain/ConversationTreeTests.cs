using MrPrompt.Domain.Chat;

namespace MrPrompt.Tests.Domain;

public sealed class ConversationTreeTests
{
    private static Message At(int sequence, Message? parent, MessageSender sender = MessageSender.User) =>
        new() { Id = Guid.NewGuid(), Sequence = sequence, ParentId = parent?.Id, Sender = sender };

    [Fact]
    public void The_path_follows_parents_to_the_chosen_leaf_and_alternatives_know_their_place()
    {
        var question = At(1, null);
        var answer1 = At(2, question, MessageSender.Assistant);
        var answer2 = At(3, question, MessageSender.Assistant);
        var followUp = At(4, answer1);
        var answer3 = At(5, question, MessageSender.Assistant);
        var tree = new ConversationTree([answer3, followUp, answer1, question, answer2]);

        Assert.Equal([question, answer1, followUp], tree.PathTo(followUp.Id));
        Assert.Equal([question, answer3], tree.PathTo(null)); // the newest message's branch
        Assert.Equal([question, answer3], tree.PathTo(Guid.NewGuid()));
        Assert.Equal(new BranchPosition(2, 3, answer1.Id, answer3.Id), tree.PositionOf(answer2));
        Assert.Equal(new BranchPosition(1, 1, null, null), tree.PositionOf(question));
        Assert.Equal(followUp, tree.NewestLeafUnder(answer1));
        Assert.Equal(answer2, tree.NewestLeafUnder(answer2));
        Assert.Equal(6, tree.NextSequence);
    }

    [Fact]
    public void Edited_first_questions_are_alternatives_of_each_other()
    {
        var first = At(1, null);
        var edited = At(3, null);
        var tree = new ConversationTree([first, At(2, first, MessageSender.Assistant), edited]);

        Assert.Equal(new BranchPosition(1, 2, null, edited.Id), tree.PositionOf(first));
        Assert.Empty(tree.Ancestors(edited));
        Assert.Empty(new ConversationTree([]).PathTo(null));
        Assert.Equal(1, new ConversationTree([]).NextSequence);
    }
}
